// What one benchmark run measures, and the knobs every run shares.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace bench {

using clock = std::chrono::steady_clock;

/// A reply later than this means something broke: the run stops with an error.
inline constexpr std::chrono::milliseconds reply_timeout{10000};

/// How much to measure.
struct plan {
    std::size_t latency_warmup = 500;
    std::size_t latency_calls = 5000;
    std::size_t throughput_warmup = 5000;
    std::size_t throughput_calls = 50000;
    std::size_t rounds = 3;    ///< measurements of each kind, mob and floor in alternation
    std::size_t payload = 32;  ///< bytes of the echoed string (issue 15's table uses 32)
};

struct latency_summary {
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double mean_us = 0;
};

/// Percentiles of round-trip times given in microseconds.
inline latency_summary summarize(std::vector<double> us) {
    latency_summary s;
    if (us.empty()) {
        return s;
    }
    std::sort(us.begin(), us.end());
    auto at = [&](double q) {
        auto i = static_cast<std::size_t>(q * static_cast<double>(us.size()));
        return us[std::min(i, us.size() - 1)];
    };
    s.p50_us = at(0.50);
    s.p99_us = at(0.99);
    s.p999_us = at(0.999);
    double sum = 0;
    for (double v : us) {
        sum += v;
    }
    s.mean_us = sum / static_cast<double>(us.size());
    return s;
}

inline double micros(clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}
inline double seconds(clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace bench
