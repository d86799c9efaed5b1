#include "table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace bench {
namespace {

// The goals this bench checked before the baselines came (mob's inline path against the
// floor); issue 15's targets for the plain API are read off the ratio rows instead.
constexpr double latency_goal = 1.5;     // mob p50 / floor p50 at most
constexpr double throughput_goal = 0.6;  // mob calls/s / floor calls/s at least

double median(std::vector<double> v) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string us(double v) {
    return v > 0 ? fmt::format("{:.1f}", v) : "-";
}
std::string rate(double v) {
    return v > 0 ? fmt::format("{:.0f}", v) : "-";
}
double ratio(double a, double b) {
    return a > 0 && b > 0 ? a / b : 0;
}
std::string ratio_text(double r) {
    return std::isfinite(r) && r > 0 ? fmt::format("{:.2f}x", r) : "-";
}

/// The ratios of one pair of paths for one worker count and transport: p50, then
/// calls/s at 1 and at each of the `window_count` windows.
std::vector<double> ratios(const results& r, path a, path b, std::size_t window_count) {
    std::vector<double> v{ratio(r[a].latency().p50_us, r[b].latency().p50_us),
                          ratio(r[a].rate_one(), r[b].rate_one())};
    for (std::size_t i = 0; i < window_count; ++i) {
        v.push_back(ratio(r[a].rate(i), r[b].rate(i)));
    }
    return v;
}

/// A block's name: "4 workers, ipc".
std::string block_name(const results& r) {
    return fmt::format("{} worker{}, {}", r.workers, r.workers == 1 ? "" : "s",
                       transport_name(r.over));
}

}  // namespace

const char* path_name(path p) {
    switch (p) {
        case path::floor:
            return "floor (cppzmq, LRU broker)";
        case path::node_mob:
            return "node mob 0.0.9 (cluster IPC)";
        case path::nats:
            return "NATS 2.9, queue group (tcp)";
        case path::mob_default:
            return "mob plain, default credit";
        case path::mob_plain:
            return "mob, plain API";
        case path::mob_inline:
            return "mob, inline export+result";
    }
    return "?";
}

double side::rate(std::size_t i) const {
    return i < rates.size() ? median(rates[i]) : 0;
}

double side::rate_one() const {
    auto mean = latency().mean_us;
    return mean > 0 ? 1e6 / mean : 0;
}

void print_table(const std::vector<results>& all, const options& o) {
    const auto& windows = o.windows;
    const std::size_t window_count = windows.size();
    std::printf("\n%-30s %-39s %s\n", "", "-------- 1 call in flight --------", "calls/s, window");
    for (const auto& r : all) {
        std::string head = fmt::format("{:<30} {:>9} {:>9} {:>9} {:>9}", block_name(r), "p50 us",
                                       "p99 us", "p99.9 us", "calls/s");
        for (auto w : windows) {
            head += fmt::format(" {:>9}", fmt::format("w={}", w));
        }
        std::printf("%s\n", head.c_str());
        for (std::size_t p = 0; p < path_count; ++p) {
            if (!o.measured[p]) {
                continue;
            }
            const auto& s = r.sides[p];
            auto l = s.latency();
            std::string line =
                fmt::format("  {:<28} {:>9} {:>9} {:>9} {:>9}", path_name(static_cast<path>(p)),
                            us(l.p50_us), us(l.p99_us), us(l.p999_us), rate(s.rate_one()));
            for (std::size_t i = 0; i < window_count; ++i) {
                line += fmt::format(" {:>9}", rate(s.rate(i)));
            }
            std::printf("%s\n", line.c_str());
        }
    }

    // mob's plain API is what users write: it is set against each of the others; the
    // inline path against the floor, as the goals below are.
    struct pair {
        path a;
        path b;
        const char* label;
    };
    const pair pairs[] = {{path::mob_default, path::node_mob, "mob defaults / node mob"},
                          {path::mob_default, path::floor, "mob defaults / floor"},
                          {path::mob_plain, path::floor, "mob plain / floor"},
                          {path::mob_plain, path::node_mob, "mob plain / node mob"},
                          {path::mob_plain, path::nats, "mob plain / NATS"},
                          {path::mob_inline, path::floor, "mob inline / floor"}};
    bool any_pair = false;
    for (const auto& pr : pairs) {
        any_pair = any_pair || (o.on(pr.a) && o.on(pr.b));
    }
    if (!any_pair) {
        return;
    }
    std::printf(
        "\nratios within this run (p50: mob's over the other's, below 1 is faster; calls/s: "
        "mob's over the other's, above 1 is more)\n");
    std::string rhead = fmt::format("{:<30}", "");
    for (const auto& r : all) {
        rhead += fmt::format("  {:>11} {:>7}",
                             fmt::format("{}w {} p50", r.workers, transport_name(r.over)), "w=1");
        for (auto w : windows) {
            rhead += fmt::format(" {:>7}", fmt::format("w={}", w));
        }
    }
    std::printf("%s\n", rhead.c_str());
    for (const auto& pr : pairs) {
        if (!o.on(pr.a) || !o.on(pr.b)) {
            continue;
        }
        std::string line = fmt::format("  {:<28}", pr.label);
        for (const auto& r : all) {
            auto v = ratios(r, pr.a, pr.b, window_count);
            line += fmt::format("  {:>11} {:>7}", ratio_text(v[0]), ratio_text(v[1]));
            for (std::size_t i = 2; i < v.size(); ++i) {
                line += fmt::format(" {:>7}", ratio_text(v[i]));
            }
        }
        std::printf("%s\n", line.c_str());
    }

    if (!o.on(path::mob_inline) || !o.on(path::floor)) {
        return;
    }
    int goals = 0;
    int met = 0;
    std::string missed;
    for (const auto& r : all) {
        auto v = ratios(r, path::mob_inline, path::floor, window_count);
        auto check = [&](bool ok, const std::string& what) {
            ++goals;
            met += ok ? 1 : 0;
            if (!ok) {
                missed += fmt::format("{}{} {}", missed.empty() ? "" : ", ", block_name(r), what);
            }
        };
        check(v[0] > 0 && v[0] <= latency_goal, fmt::format("p50 {}", ratio_text(v[0])));
        for (std::size_t i = 0; i < window_count; ++i) {
            check(v[2 + i] >= throughput_goal,
                  fmt::format("w={} {}", windows[i], ratio_text(v[2 + i])));
        }
    }
    std::printf(
        "\ngoals of the inline path against the floor (p50 <= %.1fx, calls/s >= %.1fx): %d of %d "
        "met%s\n",
        latency_goal, throughput_goal, met, goals,
        missed.empty() ? "" : (" (missed: " + missed + ")").c_str());
}

}  // namespace bench
