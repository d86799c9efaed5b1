// The supervisor half of the kingpin: starts each role's workers, reaps them when
// they exit (whatever the reason), logs why, and starts replacements so each role
// keeps its target count, as its restart policy says: at once after a worker that
// stayed up, after an exponential back-off after one that ended quickly (so a worker
// that crashes at start does not spin the CPU); scales a role within its bounds;
// retires workers (stopped on purpose, never revived); and runs rolling reloads, one
// worker at a time.
#pragma once

#include "config.hpp"
#include "fork_server.hpp"
#include "mob/control.hpp"
#include "mob/crash_report.hpp"
#include "program_image.hpp"
#include "role_table.hpp"
#include "unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mob::detail {

class listener_set;
class output_capture;

class supervisor {
  public:
    using clock = std::chrono::steady_clock;
    struct child {
        pid_t pid = 0;
        std::string role;
        std::uint32_t slot =
            0;  ///< its place in the role (back#0, back#1...), kept by its replacements
        clock::time_point started;
        bool retiring = false;                      ///< stopped on purpose: not revived
        clock::time_point retire_deadline;          ///< SIGKILL after this
        pid_t replaces = 0;                         ///< the worker a reload replaces with this one
        std::optional<clock::time_point> ready_at;  ///< when it said it was ready
        /// Quick ends in a row of the workers this one replaces (0: a fresh start, or it
        /// has since stayed up): its back-off level.
        std::uint32_t quick_deaths = 0;
        std::uint32_t restarts = 0;    ///< workers of this slot that died before this one
        std::string predecessor_exit;  ///< how the last of them ended
        std::optional<crash_report> predecessor_report;  ///< why it ended (for WELCOME)
        unique_fd crash_pipe;                            ///< read end of its crash pipe
        bool not_ready_killed = false;    ///< SIGKILLed for missing its readiness timeout
        std::string kill_note;            ///< why the kingpin killed it, for its report
        bool memory_replacement = false;  ///< started to replace `replaces`, over max_memory
        pid_t replaced_by = 0;            ///< the worker started to replace it (max_memory)
        crash_report report;              ///< how it ended; filled when it is reaped
    };
    /// What reap() does about a worker that ended on its own.
    struct restart_plan {
        enum class action {
            none,   ///< not restarted: retired, stopping, or `why_not`
            now,    ///< restarted at once
            later,  ///< restarted after `delay`
        };
        action what = action::none;
        std::chrono::milliseconds delay{0};
        std::string why_not;  ///< set for a death that is not restarted
        std::uint32_t deaths_last_minute = 0;
        bool crash_loop = false;
    };
    struct role_stats {
        std::uint64_t started = 0;
        std::uint64_t deaths = 0;
        std::string last_exit;
        std::optional<crash_report> last_report;        ///< of the last death not asked for
        std::uint64_t memory_restarts = 0;              ///< workers replaced over max_memory
        std::deque<control::death_record> deaths_kept;  ///< the last few, oldest first
    };

    /// `roles` holds each role's target (shared with the broker; it must outlive this).
    supervisor(const kingpin_config& config, role_table& roles, std::string endpoint);

    /// Every worker started from now on inherits its role's shared listening sockets
    /// from `listeners` (which must outlive this supervisor).
    void share_listeners(const listener_set& listeners) { listeners_ = &listeners; }
    /// Every worker started from now on writes its stdout and stderr into pipes that
    /// `capture` reads (which must outlive this supervisor).
    void capture_output(output_capture& capture) { capture_ = &capture; }

    /// Starts every role's initial workers.
    void start_all();
    /// Reaps every exited child; decides whether and when to restart it (never for a
    /// retired one or while stopping), calls `on_exit(child, status, plan)`, then starts
    /// the replacement or schedules it. A worker not restarted by its role's policy
    /// lowers the role's target by one.
    void reap(const std::function<void(const child&, int status, const restart_plan&)>& on_exit);
    /// Starts the restarts (and initial starts) that are due, for at most start_budget
    /// (the rest wait for the next call), and resets the back-off of workers that have
    /// stayed up; call it when scan_due() (next_deadline() says when that is next).
    void tick(clock::time_point now);
    /// How long one tick() may spend starting workers before the loop serves its sockets.
    static constexpr std::chrono::milliseconds start_budget{5};
    /// Whether tick(), take_unready(), overdue() and check_reload() may have work: a
    /// deadline of next_deadline() has passed, or the supervisor changed since
    /// scanned(). They walk every child, so the kingpin calls them only then: with a
    /// thousand workers, walking them on every turn of a busy loop cost more than routing.
    bool scan_due(clock::time_point now) const;
    /// The scans are done: next_deadline() is kept until the next change.
    void scanned();
    /// Stop reviving (drops the scheduled restarts); send `sig` to every child.
    void signal_all(int sig);
    void stop_reviving();

    /// Sets `role`'s target; returns the pids to retire (the newest first) when it
    /// shrinks. Throws mob::error for an unknown role or a count outside min..max.
    std::vector<pid_t> scale(const std::string& role, std::uint32_t count);
    /// Marks `pid` as stopped on purpose; it must exit before `deadline`.
    void retire(pid_t pid, clock::time_point deadline);
    /// Children past their retire deadline (to SIGKILL).
    std::vector<pid_t> overdue(clock::time_point now) const;
    /// Children not ready within their role's ready_timeout, each returned once: the
    /// caller SIGKILLs them, and their end counts as a quick one for the back-off.
    std::vector<pid_t> take_unready(clock::time_point now);
    /// Notes why the kingpin killed `pid` (in its crash report).
    void note_kill(pid_t pid, std::string why);
    /// The crash report the worker `pid` gets in WELCOME: its predecessor's.
    std::optional<crash_report> predecessor_report(pid_t pid) const;

    /// Starts a rolling reload; false if one is already running. Its replacements run
    /// the program file as it is now on disk, unless `same_binary` (the image the
    /// workers run now); throws mob::error if a program file is gone or not executable.
    bool begin_reload(clock::time_point now, bool same_binary = false);
    /// Replaces every worker of `role` (every role if empty) at once, without waiting for
    /// readiness (for a stuck role): starts the new ones, returns the old ones to retire.
    /// The new ones run the program file on disk unless `same_binary`. Throws mob::error
    /// for an unknown role or a program file that cannot be run.
    std::vector<pid_t> restart(const std::string& role, bool same_binary);
    /// Reads the app's env file again (for a reload); throws mob::error if it is bad,
    /// and the workers keep the environment they had.
    void reload_environment();
    /// A worker said it is ready (for the back-off: a worker that ends before it is
    /// ready ended quickly).
    void mark_ready(pid_t pid, clock::time_point now);
    /// A worker became ready: returns the old worker it replaces in a reload, to retire.
    std::optional<pid_t> on_ready(pid_t pid, clock::time_point now);
    /// Checks the reload's readiness deadline; returns a replacement to retire if it
    /// failed (the reload then stops, and the old workers stay).
    std::optional<pid_t> check_reload(clock::time_point now);
    bool reloading() const { return reload_.active; }
    /// Starts a worker in the slot of `pid`, which is over its role's max_memory; once the
    /// new one is ready, on_ready() returns `pid` to retire. False (nothing done) if `pid`
    /// is retiring, not ready yet or already being replaced, a reload runs, or the kingpin
    /// is stopping.
    bool replace_over_memory(pid_t pid);
    std::optional<clock::time_point> next_deadline() const;

    bool is_child(pid_t pid) const { return children_.count(pid) != 0; }
    bool empty() const { return children_.empty(); }
    std::size_t size() const { return children_.size(); }
    std::uint32_t alive(const std::string& role) const;
    std::uint32_t target(const std::string& role) const;
    /// Restarts of `role` scheduled for later (they count toward its target).
    std::uint32_t scheduled(const std::string& role) const;
    /// Whether `role` is in a crash loop: a worker of it, running but not yet up for
    /// min_uptime or waiting for its restart, follows crash_loop_after quick ends.
    bool crash_loop(const std::string& role) const;
    /// Seconds until the next scheduled restart of `role`, if one is scheduled.
    std::optional<double> next_restart_in_s(const std::string& role, clock::time_point now) const;
    const role_spec* spec(const std::string& role) const;
    const std::unordered_map<pid_t, child>& children() const { return children_; }
    const std::map<std::string, role_stats>& stats() const { return stats_; }
    /// Each role's processes, restarts and crash loop, each local worker's predecessor,
    /// and whether a reload runs (after the role table and the broker described theirs).
    void describe(control::app_status& s, clock::time_point now) const;
    /// Each role's settings and last deaths, for "describe" (listeners and the target
    /// come from the kingpin).
    control::role_description describe_role(const role_spec& r) const;

  private:
    struct scheduled_restart {
        std::string role;
        clock::time_point due;
        std::uint32_t quick_deaths = 0;  ///< for the worker it starts
        std::uint32_t restarts = 0;
        std::string predecessor_exit;
        std::optional<crash_report> predecessor_report;
        bool initial = false;  ///< a first start (start_all), not a restart
    };

    struct launch;  ///< a start under way (supervisor_start.cpp)
    struct launch_deleter {
        void operator()(launch* l) const;
    };
    using launch_ptr = std::unique_ptr<launch, launch_deleter>;
    /// The most starts sent to the fork server in one exchange.
    static constexpr std::size_t max_fork_batch = 32;

    pid_t start(const role_spec& role, pid_t replaces = 0, std::uint32_t quick_deaths = 0,
                std::uint32_t restarts = 0, std::string predecessor_exit = {},
                std::optional<crash_report> predecessor_report = {});
    /// start()'s first half: the request and pipes made, the child's record in
    /// children_ under a key below 0 until commit() gives it the worker's pid.
    launch_ptr prepare(const role_spec& role, pid_t replaces, std::uint32_t quick_deaths,
                       std::uint32_t restarts, std::string predecessor_exit,
                       std::optional<crash_report> predecessor_report);
    pid_t commit(launch& l, pid_t pid);
    /// Drops a start that failed and schedules it again after a back-off.
    void abandon(launch& l, clock::time_point now, const std::string& why);
    /// Logs why a start failed and schedules it again after the role's back-off.
    void retry_later(const role_spec& role, std::uint32_t quick_deaths, clock::time_point now,
                     std::uint32_t restarts, std::string predecessor_exit,
                     std::optional<crash_report> predecessor_report, const std::string& why);
    /// tick()'s starts: those due, for at most start_budget, the in-process ones
    /// through the fork server in one batch (start_batch()).
    void start_due(clock::time_point now);
    void start_batch(std::vector<launch_ptr>& batch, clock::time_point now);
    /// start(), or if that fails, a restart scheduled after a back-off.
    void start_or_schedule(const role_spec& role, std::uint32_t quick_deaths, clock::time_point now,
                           std::uint32_t restarts = 0, std::string predecessor_exit = {},
                           std::optional<crash_report> predecessor_report = {});
    crash_report make_report(child& c, int status) const;
    restart_plan plan_restart(const child& c, int status, clock::time_point now);
    std::chrono::milliseconds backoff(const role_spec& role, std::uint32_t level);
    std::uint32_t planned(const std::string& role) const { return alive(role) + scheduled(role); }
    void next_reload_step(clock::time_point now);
    std::optional<clock::time_point> compute_deadline() const;
    void abort_reload(const std::string& why);
    /// The worker `ready` replaces over max_memory, to retire now that it is ready.
    std::optional<pid_t> take_memory_replaced(pid_t ready);
    /// Keeps `c`'s death (not asked for) among its role's last few, for "describe".
    void keep_death(const child& c, int status);
    /// Throws mob::error unless every mob::exec program can be run.
    void check_programs() const;
    /// The lowest slot of `role` no running worker holds.
    std::uint32_t free_slot(const std::string& role) const;
    /// Starts a worker of an in-process role: forked by the fork server of `image` once
    /// it is ready, else (or if it fails) by spawn(). supervisor_start.cpp.
    pid_t start_in_process(const spawn_request& req, const program_image& image);
    /// The fork server for `image` and the environment now, started if there is none
    /// (one for another image or environment is stopped); null unless it is ready.
    fork_server* fork_server_for(const program_image& image);
    void describe_fork_server(control::fork_server_status& s) const;

    const kingpin_config& config_;
    std::string endpoint_;
    const listener_set* listeners_ = nullptr;
    output_capture* capture_ = nullptr;
    bool stopping_ = false;
    bool changed_ = true;                   ///< since scanned()
    std::optional<clock::time_point> due_;  ///< compute_deadline() at scanned()
    std::unordered_map<pid_t, child> children_;
    std::map<std::string, role_stats> stats_;
    role_table& roles_;
    std::vector<scheduled_restart> scheduled_;
    std::map<std::string, std::deque<clock::time_point>> recent_deaths_;
    std::mt19937_64 random_{std::random_device{}()};
    std::vector<std::string> env_overrides_;  ///< from the env file, "KEY=VALUE"
    std::uint64_t env_generation_ = 0;        ///< counts the env file's reads
    std::unique_ptr<fork_server> forks_;
    /// What forks_ serves: an image's id() and an env_generation_.
    std::pair<std::uint64_t, std::uint64_t> forks_key_{};
    pid_t next_launch_key_ = -1;  ///< keys of launches' records: -1, -2, ...
    std::uint64_t forked_ = 0;    ///< in-process workers started by fork
    std::uint64_t execs_ = 0;     ///< and by exec
    /// What in-process roles run: the program as it was at start, or as a reload or
    /// restart found it on disk (resolved once, at start).
    program_image image_ = program_image::running();
    std::filesystem::path program_path_ = image_.path();

    struct reload_state {
        bool active = false;
        std::deque<pid_t> old;  ///< workers still to replace, in order
        pid_t replacement = 0;  ///< the one we wait for
        clock::time_point deadline;
        std::optional<program_image> image;  ///< the new program file, until the reload is done
    } reload_;
};

}  // namespace mob::detail
