#include "proc_sampler.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unordered_set>

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

std::optional<std::uint64_t> parse_stat_ticks(const std::string& stat) {
    // "PID (comm) S ppid ...": comm may hold spaces and ')', so count from the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields{stat.substr(close + 1)};
    std::vector<std::string> f{std::istream_iterator<std::string>{fields}, {}};
    // f[0] is field 3 (state); utime and stime are fields 14 and 15.
    if (f.size() < 13)
        return std::nullopt;
    auto utime = number(f[11]);
    auto stime = number(f[12]);
    if (!utime || !stime)
        return std::nullopt;
    return *utime + *stime;
}

std::optional<std::uint64_t> parse_statm_resident(const std::string& statm) {
    std::istringstream fields{statm};
    std::string size;
    std::string resident;
    if (!(fields >> size >> resident))
        return std::nullopt;
    return number(resident);
}

proc_sampler::proc_sampler(std::filesystem::path root, long ticks_per_second, long page_size)
    : root_(std::move(root)),
      ticks_per_second_(
          static_cast<double>(ticks_per_second > 0 ? ticks_per_second : ::sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<std::uint64_t>(page_size > 0 ? page_size : ::sysconf(_SC_PAGESIZE))) {}

std::optional<std::string> proc_sampler::read(pid_t pid, const char* file) const {
    std::ifstream in{root_ / std::to_string(pid) / file};
    if (!in)
        return std::nullopt;
    std::string text{std::istreambuf_iterator<char>{in}, {}};
    return text;
}

void proc_sampler::sample(const std::vector<pid_t>& pids, clock::time_point now) {
    std::unordered_set<pid_t> wanted{pids.begin(), pids.end()};
    std::erase_if(seen_, [&](const auto& kv) { return wanted.count(kv.first) == 0; });
    for (auto pid : pids) {
        auto stat = read(pid, "stat");
        auto statm = read(pid, "statm");
        auto parsed_ticks = stat ? parse_stat_ticks(*stat) : std::nullopt;
        auto parsed_pages = statm ? parse_statm_resident(*statm) : std::nullopt;
        if (!parsed_ticks.has_value() || !parsed_pages.has_value()) {
            seen_.erase(pid);
            continue;
        }
        const std::uint64_t ticks = parsed_ticks.value_or(0);
        const std::uint64_t pages = parsed_pages.value_or(0);
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
