// The kingpin's view of its workers' resources: CPU and RSS sampled from /proc about once
// a second (from the loop's tick: a few small reads, nothing that blocks), a worker over
// its role's max_memory replaced without downtime; and the "describe" answer.
#include "kingpin_state.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

namespace mob::detail {

namespace {

double mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

void kingpin::sample_workers(clock::time_point now) {
    std::vector<pid_t> pids;
    pids.reserve(workers_.children().size());
    for (const auto& [pid, c] : workers_.children())
        pids.push_back(pid);
    sampler_.sample(pids, now);
    if (stopping_)
        return;
    std::vector<std::pair<pid_t, std::uint64_t>> over;
    for (const auto& [pid, c] : workers_.children()) {
        const auto* r = workers_.spec(c.role);
        auto u = sampler_.usage(pid);
        if (r != nullptr && r->options.max_memory > 0 && u && !c.retiring &&
            u->rss_bytes > r->options.max_memory) {
            over.emplace_back(pid, u->rss_bytes);
        }
    }
    // replace_over_memory() starts a worker: children() changes, so not inside the loop.
    for (auto [pid, rss] : over) {
        const auto& c = workers_.children().at(pid);
        const auto role = c.role;
        const auto slot = c.slot;
        const auto limit = workers_.spec(role)->options.max_memory;
        if (!workers_.replace_over_memory(pid))
            continue;  // already being replaced, or a reload does it
        auto line =
            fmt::format("{}#{} pid {} over max_memory: RSS {:.1f} MiB > {:.1f} MiB, replacing",
                        role, slot, pid, mib(rss), mib(limit));
        log::warn("{}", line);
        events_.add("kingpin", "over_max_memory", "", line);
    }
}

control::app_description kingpin::describe(const std::string& role) const {
    control::app_description d;
    d.app = config_.app;
    d.kingpin_pid = ::getpid();
    d.env_file = config_.env_file.string();
    d.heartbeat_s = std::chrono::duration<double>(config_.heartbeat).count();
    d.liveness = config_.liveness;
    d.kill_timeout_s = std::chrono::duration<double>(config_.kill_timeout).count();
    for (const auto& r : config_.roles) {
        if (!role.empty() && r.name != role)
            continue;
        auto rd = workers_.describe_role(r);
        for (const auto& l : listeners_.all()) {
            if (l.role == r.name)
                rd.listen.push_back(fmt::format("{}={}", l.name, l.address));
        }
        d.roles.push_back(std::move(rd));
    }
    return d;
}

}  // namespace mob::detail
