#include "proc_sampler.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace mob::detail {

namespace {

std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t n = 0;
    auto [at, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || at != s.data() + s.size())
        return std::nullopt;
    return n;
}

}  // namespace

std::optional<stat_fields> parse_stat(std::string_view stat) {
    // "PID (comm) S ppid ...": comm may hold spaces and ')', so count from the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string_view::npos)
        return std::nullopt;
    stat.remove_prefix(close + 1);
    // Field 3 (state) is the first after the ')'; utime, stime and rss are 14, 15 and 24.
    std::optional<std::uint64_t> utime, stime, rss;
    int field = 2;
    while (!stat.empty() && field < 24) {
        const auto start = stat.find_first_not_of(" \n");
        if (start == std::string_view::npos)
            break;
        stat.remove_prefix(start);
        const auto token = stat.substr(0, stat.find_first_of(" \n"));
        stat.remove_prefix(token.size());
        ++field;
        if (field == 14)
            utime = number(token);
        else if (field == 15)
            stime = number(token);
        else if (field == 24)
            rss = number(token);
    }
    if (!utime || !stime || !rss)
        return std::nullopt;
    return stat_fields{*utime + *stime, *rss};
}

proc_sampler::proc_sampler(std::filesystem::path root, long ticks_per_second, long page_size,
                           std::size_t per_sample)
    : root_(std::move(root)),
      ticks_per_second_(
          static_cast<double>(ticks_per_second > 0 ? ticks_per_second : ::sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<std::uint64_t>(page_size > 0 ? page_size : ::sysconf(_SC_PAGESIZE))),
      per_sample_(std::max<std::size_t>(per_sample, 1)) {}

std::optional<stat_fields> proc_sampler::read(pid_t pid) const {
    // ROOT/PID/stat in a string kept between calls: its buffer is allocated once.
    path_.assign(root_.native()).append("/").append(std::to_string(pid)).append("/stat");
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    // A stat line is some 300 bytes; 52 fields of at most 20 digits and a 16-byte comm
    // fit in 1 KiB (the kernel writes it in one read).
    char buf[1024];
    const auto got = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (got <= 0)
        return std::nullopt;
    return parse_stat(std::string_view{buf, static_cast<std::size_t>(got)});
}

void proc_sampler::sample(std::vector<pid_t> pids, clock::time_point now) {
    std::sort(pids.begin(), pids.end());
    std::erase_if(seen_, [&](const auto& kv) {
        return !std::binary_search(pids.begin(), pids.end(), kv.first);
    });
    if (pids.empty())
        return;
    // This turn: the first pids after the last one read, wrapping round to the lowest.
    const auto from = std::upper_bound(pids.begin(), pids.end(), last_read_) - pids.begin();
    const auto count = std::min(per_sample_, pids.size());
    for (std::size_t i = 0; i < count; ++i) {
        const pid_t pid = pids[(static_cast<std::size_t>(from) + i) % pids.size()];
        last_read_ = pid;
        auto fields = read(pid);
        if (!fields.has_value()) {
            seen_.erase(pid);
            continue;
        }
        const std::uint64_t ticks = fields->ticks;
        const std::uint64_t pages = fields->rss_pages;
        auto [it, first] = seen_.try_emplace(pid);
        auto& e = it->second;
        e.last.rss_bytes = pages * page_size_;
        double seconds = std::chrono::duration<double>(now - e.at).count();
        if (!first && seconds > 0 && ticks >= e.ticks) {
            e.last.cpu_percent =
                static_cast<double>(ticks - e.ticks) / ticks_per_second_ / seconds * 100.0;
        }
        e.ticks = ticks;
        e.at = now;
    }
}

std::optional<proc_usage> proc_sampler::usage(pid_t pid) const {
    auto it = seen_.find(pid);
    if (it == seen_.end())
        return std::nullopt;
    return it->second.last;
}

}  // namespace mob::detail
