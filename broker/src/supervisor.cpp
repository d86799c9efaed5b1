#include "supervisor.hpp"

#include "mob/log.hpp"
#include "spawn.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mob::detail {

supervisor::supervisor(const kingpin_config& config, std::string endpoint)
    : config_(config), endpoint_(std::move(endpoint)) {}

void supervisor::start_all() {
    for (const auto& role : config_.roles) {
        for (std::uint32_t i = 0; i < role.min; ++i)
            start(role);
    }
}

void supervisor::start(const role_spec& role) {
    spawn_request req;
    if (const auto* prog = std::get_if<program>(&role.entry)) {
        req.exe = prog->path.string();
        req.argv.push_back(req.exe);
        req.argv.insert(req.argv.end(), prog->args.begin(), prog->args.end());
    } else {
        req.exe = "/proc/self/exe";
        req.argv = config_.argv;
    }
    req.env = worker_environment({
        "MOB_APP=" + config_.app,
        "MOB_ROLE=" + role.name,
        "MOB_ENDPOINT=" + endpoint_,
        "MOB_SPAWNED=1",
        fmt::format("MOB_HEARTBEAT_MS={}", config_.heartbeat.count()),
        fmt::format("MOB_LIVENESS={}", config_.liveness),
        fmt::format("MOB_CREDIT={}", role.credit),
        fmt::format("MOB_KINGPIN_PID={}", ::getpid()),
    });
    auto pid = spawn(req);
    children_.emplace(pid, child{pid, role.name, std::chrono::steady_clock::now()});
    ++stats_[role.name].started;
    log::debug("started {} worker pid {}", role.name, pid);
}

void supervisor::reap(const std::function<void(const child&, int status)>& on_exit) {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        auto it = children_.find(pid);
        if (it == children_.end())
            continue;
        auto c = std::move(it->second);
        children_.erase(it);
        ++stats_[c.role].deaths;
        on_exit(c, status);
        if (stopping_)
            continue;
        for (const auto& role : config_.roles) {
            if (role.name != c.role)
                continue;
            try {
                start(role);
            } catch (const std::exception& e) {
                log::error("could not revive a {} worker: {}", role.name, e.what());
            }
        }
    }
}

void supervisor::signal_all(int sig) {
    for (const auto& [pid, c] : children_)
        ::kill(pid, sig);
}

}  // namespace mob::detail
