// What the supervisor tells about its roles and children: how one ended (its crash
// report), counts, crash loops, the next restart, and its share of the kingpin's status.
#include "mob/detail/crash_record.hpp"
#include "mob/log.hpp"
#include "supervisor.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace mob::detail {

crash_report supervisor::make_report(child& c, int status) const {
    crash_report r;
    r.role = c.role;
    r.pid = c.pid;
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
        r.signal_name = signal_name(WTERMSIG(status));
    }
    r.note = c.kill_note;
    r.time = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    if (c.crash_pipe.get() >= 0) {
        // The process is gone: whatever it wrote is in the pipe, and read() never blocks.
        std::string bytes;
        char buf[4096];
        for (;;) {
            auto n = ::read(c.crash_pipe.get(), buf, sizeof buf);
            if (n <= 0 || bytes.size() > 4 * detail::crash_record_max)
                break;
            bytes.append(buf, static_cast<std::size_t>(n));
        }
        c.crash_pipe = unique_fd{};
        if (auto record = detail::parse_crash_record(bytes)) {
            r.exception_where = std::move(record->where);
            r.exception_type = std::move(record->type);
            r.exception_what = std::move(record->what);
        } else if (!bytes.empty()) {
            log::warn("{} worker pid {} left an unreadable crash record ({} bytes)", c.role, c.pid,
                      bytes.size());
        }
    }
    return r;
}

std::uint32_t supervisor::scheduled(const std::string& role) const {
    return static_cast<std::uint32_t>(
        std::count_if(scheduled_.begin(), scheduled_.end(),
                      [&](const scheduled_restart& r) { return r.role == role; }));
}

bool supervisor::crash_loop(const std::string& role) const {
    const auto* r = spec(role);
    if (r == nullptr)
        return false;
    for (const auto& s : scheduled_) {
        if (s.role == role && s.quick_deaths >= r->options.crash_loop_after)
            return true;
    }
    for (const auto& [pid, c] : children_) {
        if (c.role == role && !c.retiring && c.quick_deaths >= r->options.crash_loop_after)
            return true;
    }
    return false;
}

std::optional<double> supervisor::next_restart_in_s(const std::string& role,
                                                    clock::time_point now) const {
    std::optional<clock::time_point> next;
    for (const auto& s : scheduled_) {
        if (s.role == role && !s.initial && (!next || s.due < *next))
            next = s.due;
    }
    if (!next)
        return std::nullopt;
    auto left = std::chrono::duration<double>(*next - now).count();
    return std::max(left, 0.0);
}

std::uint32_t supervisor::alive(const std::string& role) const {
    std::uint32_t n = 0;
    for (const auto& [pid, c] : children_) {
        if (c.role == role && !c.retiring)
            ++n;
    }
    return n;
}

void supervisor::describe(control::app_status& s, clock::time_point now) const {
    s.reloading = reloading();
    describe_fork_server(s.fork_server);
    for (auto& rs : s.roles) {
        rs.alive = alive(rs.name);
        if (auto it = stats_.find(rs.name); it != stats_.end()) {
            rs.restarts = it->second.deaths;
            rs.last_exit = it->second.last_exit;
            if (it->second.last_report)
                rs.last_error = it->second.last_report->summary();
        }
        rs.crash_loop = crash_loop(rs.name);
        if (const auto* r = spec(rs.name))
            rs.max_memory = r->options.max_memory;
        if (auto it = stats_.find(rs.name); it != stats_.end())
            rs.memory_restarts = it->second.memory_restarts;
        rs.next_restart_in_s = next_restart_in_s(rs.name, now).value_or(-1.0);
    }
    for (auto& ws : s.workers) {
        if (!ws.local)
            continue;
        auto c = children_.find(static_cast<pid_t>(ws.pid));
        if (c == children_.end())
            continue;
        ws.restarts = c->second.restarts;
        ws.last_exit = c->second.predecessor_exit;
        if (c->second.predecessor_report)
            ws.last_error = c->second.predecessor_report->summary();
    }
}

}  // namespace mob::detail
