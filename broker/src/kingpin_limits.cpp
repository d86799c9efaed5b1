// The kingpin's view of its workers' resources: CPU and RSS sampled from /proc about once
// a second (from the loop's tick: a few small reads, nothing that blocks), a worker over
// its role's max_memory replaced without downtime; the kingpin's own free heap handed
// back to the system after an overload; and the "describe" answer.
#include "kingpin_state.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>
#include <malloc.h>

namespace mob::detail {

namespace {

double mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

/// Free heap the kingpin keeps beyond this is handed back to the system.
constexpr std::size_t max_idle_free_heap = 4u << 20;

/// After a flood (queues at their bounds, errors owed, big messages) the freed memory
/// stays in glibc's arenas: a kingpin would sit at its peak size for good. Once a second
/// is often enough, and the walk is cheap next to what it frees. Under a sanitizer
/// mallinfo2 sees no heap of glibc's (the sanitizer's allocator keeps its own), so
/// nothing is done there.
void return_free_heap() {
    const auto info = ::mallinfo2();
    if (info.fordblks <= max_idle_free_heap)
        return;
    ::malloc_trim(0);
    const auto after = ::mallinfo2();
    log::debug("returned free heap to the system: {:.1f} MiB free before, {:.1f} MiB after",
               mib(info.fordblks), mib(after.fordblks));
}

}  // namespace

void kingpin::sample_workers(clock::time_point now) {
    std::vector<pid_t> pids;
    pids.reserve(workers_.children().size());
    for (const auto& [pid, c] : workers_.children())
        pids.push_back(pid);
    sampler_.sample(std::move(pids), now);
    return_free_heap();
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
