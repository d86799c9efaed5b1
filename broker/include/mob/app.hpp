// The kingpin API: the C++ form of the original's start / base / role.
//
//     int main(int argc, char** argv) {
//         return mob::app("myapp")
//             .role("back", back_main, {.workers = 4})
//             .role("front", front_main, {.workers = 2})
//             .run(argc, argv);
//     }
//
// The same main runs in the kingpin and in every worker, as with node's cluster: the
// kingpin starts a worker by executing its own program again (same argv) with the role
// in the environment, and there run() calls the role's function instead of becoming a
// kingpin. Which file: the one the program ran from at start, until a reload or restart
// opens its path again and so deploys what is there now.
#pragma once

#include "mob/crash_report.hpp"
#include "mob/log_line.hpp"
#include "mob/worker.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mob {

/// A role's entry function: runs in the worker process, given its worker handle.
using role_main = std::function<void(worker&)>;

/// A role served by another program that links libmob-worker (calls mob::serve).
struct program {
    std::filesystem::path path;  ///< relative paths resolve against app::base()
    std::vector<std::string> args;
};

/// `mob::exec("./other-worker", {"--flag"})`: a role run by another program.
inline program exec(std::filesystem::path path, std::vector<std::string> args = {}) {
    return program{std::move(path), std::move(args)};
}

/// When the kingpin restarts a worker of a role that ended on its own, as in
/// Erlang/OTP. A worker the kingpin stopped itself (scale, reload, stop) is never
/// restarted, whatever the policy.
enum class restart_policy {
    permanent,  ///< always (the default)
    transient,  ///< only after an abnormal end: a non-zero exit code or a signal
    temporary,  ///< never
};

/// How many workers a role has: `workers` (a fixed count), or `min`/`max` (a range;
/// the role starts at min). Neither given: one worker. The rest says how its workers
/// are restarted:
///
///     .role("back", back_main, {.workers = 4, .restart = mob::restart_policy::transient})
///
/// A worker that ends after it has been ready for at least `min_uptime` is restarted at
/// once. One that ends sooner, or before it is ready, is restarted after a back-off:
/// `backoff_initial`, doubling with each such end in a row up to `backoff_max`, +-20%
/// jitter; it starts again from `backoff_initial` once a worker has stayed up.
struct role_options {
    std::optional<std::uint32_t> workers{};
    std::optional<std::uint32_t> min{};
    std::optional<std::uint32_t> max{};
    /// Calls the broker sends each worker of the role at once. Unset, each worker says
    /// (the C++ worker: worker_options::credit, 16; the Python worker: 1, as its
    /// handlers run on a pool of that many threads). Calls go to an idle worker first
    /// and are pipelined behind a busy one's only when none is idle; a C++ worker runs
    /// them one at a time on its dispatcher thread all the same.
    std::optional<std::uint32_t> credit{};
    restart_policy restart = restart_policy::permanent;
    /// Exit codes that mean "do not restart me", whatever the policy.
    std::vector<int> no_restart_codes{};
    std::chrono::milliseconds min_uptime{1000};
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{30000};
    /// Quick ends in a row after which the role is in a crash loop (logged as such,
    /// and shown in its status). The kingpin still restarts it.
    std::uint32_t crash_loop_after = 3;
    /// Shared listening sockets, "name=host:port" (numeric IPv4, or IPv6 in brackets;
    /// port 0 picks a free one): the kingpin binds each once, at start, and hands it to
    /// every worker of the role, which gets it with w.listener("name"). The kernel
    /// spreads connections over the workers; a worker restart never closes the port.
    ///
    ///     .role("front", front_main, {.workers = 2, .listen = {"http=127.0.0.1:8080"}})
    std::vector<std::string> listen{};
    /// A worker not ready this long after it was started (its role function has not
    /// returned, nor called w.ready()) is killed with SIGKILL; that counts as a quick
    /// end, so it is restarted after a back-off. Also how long a reload waits for a
    /// replacement.
    std::chrono::milliseconds ready_timeout{10000};
    /// The role's workers join from outside (docs/external-workers.md): the kingpin
    /// starts none, and `workers` (or `min`) is how many it expects; they count toward
    /// `full` and status once they join over the endpoint given to listen_tcp().
    bool external = false;
    /// Only workers whose CURVE key has one of these names (NAME.pub in the allow-list)
    /// may serve the role; empty: any admitted key. The kingpin's own children (over
    /// ipc) always may. Needs a CURVE TCP endpoint.
    ///
    ///     app.external_role("billing", {.workers = 1, .keys = {"billing-1", "billing-2"}});
    std::vector<std::string> keys{};
    /// A worker whose resident memory (RSS, sampled about once a second; beyond 128 local
    /// workers, each every ceil(N / 128) s) passes this many bytes is replaced the way a
    /// reload replaces one, without downtime: a new worker is started in its slot, and
    /// once it is ready the old one is stopped (it finishes what it holds). Logged, and
    /// counted in status (`memory_restarts`). 0: no limit. Not for external roles.
    ///
    ///     .role("back", back_main, {.workers = 4, .max_memory = 512ull << 20})
    std::uint64_t max_memory = 0;
};

/// Asks for a TCP endpoint without CURVE, for a trusted network only:
/// `app.listen_tcp("tcp://10.0.0.1:5555", mob::insecure)`. The kingpin warns at start.
struct insecure_t {
    explicit insecure_t() = default;
};
inline constexpr insecure_t insecure{};

/// The broker's CURVE keys for its TCP endpoint (docs/security.md): its own key pair,
/// and the directory of public keys of the workers it admits (read again when it
/// changes). Both made with `mobctl keygen NAME`.
///
///     app.curve({.secret_file = "/etc/mob/broker.secret", .allow_dir = "/etc/mob/workers"})
///        .listen_tcp("tcp://0.0.0.0:5555");
struct curve_server {
    std::filesystem::path secret_file{};  ///< the broker's NAME.secret
    std::filesystem::path allow_dir{};    ///< the admitted workers' NAME.pub files
    /// How long a peer may take to finish its handshake before it is dropped.
    std::chrono::milliseconds handshake_timeout{5000};
};

/// Where and how the kingpin writes its own lines and each worker's output, which it
/// captures through pipes, one prefixed line per line (time, app, role#slot, pid,
/// stream; docs/logs.md):
///
///     app.logs({.dir = "/var/log/myapp", .per_role = true, .rotate_bytes = 50 << 20});
struct log_options {
    /// Unset: $MOB_LOG_FORMAT (pretty, plain, json) if set, else pretty on a terminal and
    /// plain otherwise. $MOB_LOG_FORMAT wins over this when set.
    std::optional<log_format> format{};
    /// Also write the lines to files in this directory ($MOB_LOG_DIR wins when set): APP.log,
    /// or with per_role, APP.ROLE.log for each role and APP.log for the kingpin's own.
    /// Reopened on SIGUSR1 (after logrotate moved them). Files are plain, or json.
    std::filesystem::path dir{};
    bool per_role = false;
    /// A file past this size is rotated (APP.log -> APP.log.1 -> ... -> APP.log.KEEP);
    /// 0: never (leave it to logrotate).
    std::size_t rotate_bytes = 0;
    std::uint32_t keep = 5;
    /// Lines kept in memory for `mobctl logs` (the newest).
    std::size_t ring_lines = 10000;
};

/// A role as the app knows it, after checking: its counts resolved from the options.
/// Bounds on what one peer may make the broker hold (docs/limits.md). Past one, the
/// peer gets a clear error, and the event is counted (mobctl status: dropped).
struct broker_limits {
    /// The largest message a peer may send, all its frames together (default 16 MiB).
    /// ZMQ_MAXMSGSIZE is set to it, so libzmq closes the connection of a peer that
    /// sends one larger frame before it is in memory; a message of several frames
    /// over it is answered `too_large`. Workers check their own messages against
    /// worker_options::max_message_size before sending.
    std::size_t max_message_size = 16u << 20;
    /// The most calls one worker is sent at once, whatever credit its READY asks for
    /// (default 1024): a worker cannot make the broker hold an unbounded in-flight table.
    std::uint32_t max_credit = 1024;
};

/// How the broker picks the worker for a call (docs/design.md, "Dispatch"). A call
/// goes to an idle worker, the least recently used first, while fewer than
/// `spread_workers` of its role's workers have calls at them. Past that, a fast call
/// goes to the busy worker with room that took one last: it is awake, and another
/// process woken for it would only share the same CPUs. A method's calls are fast while
/// its workers answer one in less than `fast_call` on average, measured (per method)
/// from the calls they took while busy; slow ones keep going to idle workers first, and
/// while none is idle a busy worker gets no more than `slow_call_depth` of them.
struct dispatch_policy {
    /// 0 (the default): as many as the CPUs this kingpin may run on. Set it to a role's
    /// worker count or more for plain least-recently-used spreading (say, workers on
    /// other machines), or to 1 to pipeline fast calls whenever one worker is busy.
    std::uint32_t spread_workers = 0;
    std::chrono::microseconds fast_call{250};
    /// The most slow calls (or calls of a method not timed yet) a busy worker is given
    /// at once: 2, the one it runs and the next, so it never waits a round trip for
    /// work, while the rest wait at the kingpin for whichever worker answers first
    /// (behind a long call in one worker's queue they could wait while another worker
    /// goes idle). 0: no bound but the worker's credit.
    std::uint32_t slow_call_depth = 2;
};

struct role_spec {
    std::string name;
    std::variant<role_main, program> entry;
    std::uint32_t min = 1;
    std::uint32_t max = 1;
    role_options options;
};

class app {
  public:
    /// `name` prefixes every process title ("myapp (kingpin)", "myapp - back (mobster)")
    /// and names the runtime directory; it follows the role name rules.
    explicit app(std::string name);

    /// Directory that relative mob::exec paths resolve against (default: the directory
    /// of this program).
    app& base(std::filesystem::path dir);
    app& role(std::string name, role_main entry, role_options options = {});
    app& role(std::string name, program entry, role_options options = {});
    /// A role whose workers the kingpin does not start: programs that link libmob-worker
    /// and join from anywhere (`MOB_ENDPOINT=tcp://host:5555 MOB_ROLE=back ./worker`).
    /// `options.workers` (or min) is the count that makes the role full.
    ///
    ///     app.listen_tcp("tcp://0.0.0.0:5555").external_role("back", {.workers = 2});
    app& external_role(std::string name, role_options options = {});
    /// Also bind the broker on this TCP endpoint (e.g. "tcp://0.0.0.0:5555"; port 0 or
    /// "*" picks a free port, logged as "listening on tcp://..."), beside its ipc one, so
    /// external workers can join. $MOB_TCP_ENDPOINT overrides it. The endpoint speaks
    /// CURVE only and admits only the keys of curve()'s allow-list; without keys the
    /// app does not start (docs/security.md).
    app& listen_tcp(std::string endpoint);
    /// The same with no authentication and no encryption (ZeroMQ's NULL mechanism), for
    /// a trusted network only; logged as a warning at start. $MOB_TCP_INSECURE=1 asks the
    /// same of $MOB_TCP_ENDPOINT.
    app& listen_tcp(std::string endpoint, insecure_t);
    /// The broker's CURVE keys for listen_tcp(); $MOB_CURVE_SECRET_FILE and
    /// $MOB_CURVE_ALLOW_DIR override them.
    app& curve(curve_server keys);
    /// Where the runtime directory goes (default: mob::runtime_root()).
    app& runtime_root(std::filesystem::path root);
    /// Broker-worker heartbeat interval (default 1 s; 3 missed and the peer is dead).
    app& heartbeat(std::chrono::milliseconds interval);
    /// How long a stopping worker gets before SIGKILL (default 5 s).
    app& kill_timeout(std::chrono::milliseconds timeout);
    /// How many any() messages wait in the broker per role while no worker is ready
    /// (default 10000), and for how long (default 30 s); past either, the sender gets an
    /// error (queue_full, expired).
    app& queue_limits(std::size_t max_per_role, std::chrono::milliseconds timeout);
    /// How many ERRORs and RESULTs the broker keeps for one worker whose pipe is full
    /// (default 10000), sent in order as the pipe drains. Past it, each one lost is
    /// counted (status: the worker's `fates_lost`) and the worker is told how many with
    /// a LOST (its on_error gets errc::fates_lost).
    app& max_owed_per_worker(std::size_t max);
    /// Bounds on message size and per-worker credit (broker_limits).
    app& limits(broker_limits l);
    /// How calls are spread over a role's workers (dispatch_policy).
    app& dispatch(dispatch_policy p);
    /// A file of KEY=VALUE lines (blank lines and # comments skipped) added to every
    /// worker's environment; read at start (a bad file is a set-up error) and again at
    /// each reload (a bad file stops the reload; the workers keep what they had).
    app& env_file(std::filesystem::path path);
    /// Where and how the kingpin writes its own lines and its workers' output.
    app& logs(log_options options);
    /// Whether a reload by SIGHUP runs the program image the workers run now instead of
    /// the program file as it is on disk (default: false, a reload deploys).
    /// `mobctl reload --same-binary` asks for it once.
    app& reload_same_binary(bool same = true);
    /// Whether workers of the in-process roles are forked by a fork server (default:
    /// true) instead of each exec'ing this program. The server is this program started
    /// once more, which runs main() up to run() and then forks each worker from there:
    /// a worker skips the exec and the dynamic loading, about 7 ms, and code before
    /// run() runs once per server instead of once per worker. It is not used (workers
    /// start by exec, said once in the log) if the program runs other threads before
    /// run(). A reload that changes the program file or the env file starts a new
    /// server. MOB_FORK_SERVER=0 or 1 in the kingpin's environment overrides this.
    /// docs/supervision.md, "How workers start".
    app& fork_server(bool on = true);

    /// Observers, for logging and alerting: they run in the kingpin's loop, so they must
    /// be quick and must not do application work (that belongs in mobsters). An
    /// exception they throw is logged and otherwise ignored. Registering again replaces.
    ///
    ///     app.on_full([] { notify("myapp is up"); })
    ///        .on_death([](const mob::death_info& d) { alert(d.report.summary()); });
    ///
    /// on_full: every role has its target count of ready workers; called again each
    /// time it is back to full after it dropped below.
    app& on_full(std::function<void()> observer);
    /// on_death: a worker died without being asked to (scale, reload and stop are not
    /// deaths): who, how, its crash report, and whether and when it is restarted.
    app& on_death(std::function<void(const death_info&)> observer);

    /// Throws mob::error for the first bad role: a bad or duplicate name, a zero
    /// count, min > max, workers together with min/max, a program that does not exist,
    /// a restart setting out of range (a negative min_uptime, a back-off below 1 ms or
    /// a maximum below it, an exit code outside 0..255, crash_loop_after 0, a
    /// ready_timeout that is not positive), a `listen` entry that is not name=host:port or
    /// names a listener twice; a TCP endpoint with a port outside 1..65535, or without
    /// usable CURVE keys (an unreadable key file, a key of the wrong length, no
    /// allow-list directory) unless it is insecure; `keys` without a CURVE endpoint.
    void validate() const;

    /// Becomes the kingpin, or in a worker runs its role. Returns the exit code: 0 after
    /// a clean SIGINT/SIGTERM stop, the code a worker gave w.stop_app(code), 2 for a
    /// set-up error (logged; a listen address that
    /// cannot be bound is one). Throws nothing. In the kingpin, a lone `--version`
    /// argument prints "NAME (mob VERSION)" and returns 0 without starting anything.
    int run(int argc, char** argv);

    const std::string& name() const { return name_; }
    const std::vector<role_spec>& roles() const { return roles_; }

  private:
    struct pending_role {
        std::string name;
        std::variant<role_main, program> entry;
        role_options options;
    };
    role_spec check(const pending_role& r) const;
    std::string tcp_endpoint() const;  ///< $MOB_TCP_ENDPOINT, else listen_tcp()'s
    bool tcp_insecure() const;         ///< listen_tcp(ep, insecure), or $MOB_TCP_INSECURE=1
    curve_server curve_keys() const;   ///< curve(), with the environment's overrides
    void check_tcp() const;
    int run_worker(int argc, char** argv, const std::string& role);
    /// The fork server's side of run(): returns in each worker it forks (as that worker)
    /// and in the server itself when the kingpin is done with it.
    int run_fork_server(int argc, char** argv, const char* socket);
    int run_kingpin(int argc, char** argv);

    std::string name_;
    std::filesystem::path base_;
    std::filesystem::path runtime_root_;
    std::chrono::milliseconds heartbeat_{1000};
    std::chrono::milliseconds kill_timeout_{5000};
    std::size_t max_queued_ = 10000;
    std::size_t max_owed_ = 10000;
    broker_limits limits_{};
    dispatch_policy dispatch_{};
    std::chrono::milliseconds queue_timeout_{30000};
    std::filesystem::path env_file_;
    log_options logs_;
    bool reload_same_binary_ = false;
    bool fork_server_ = true;
    std::function<void()> on_full_;
    std::function<void(const death_info&)> on_death_;
    std::string tcp_endpoint_;
    bool tcp_insecure_ = false;
    curve_server curve_;
    std::vector<pending_role> pending_;
    std::vector<role_spec> roles_;
};

}  // namespace mob
