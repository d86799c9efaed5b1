// mob-scale-bench: what one kingpin costs as its worker count grows (issue 15, point 3).
//
//     mob-scale-bench [--workers N,N,...] [--rounds R] [--calls N] [--queued N] [--data DIR]
//
// For each worker count (default 4, 16, 64 and 1000) and round (default 3), it starts a
// kingpin with that many spawned "echo" workers (plain exports, default settings) and
// one idle "client", and measures:
//   - start -> full: from starting the kingpin to its "full" line, with the fork server
//     (the default) and by exec (MOB_FORK_SERVER=0), interleaved;
//   - false liveness warnings: lines of workers that found the broker silent, and of
//     workers the kingpin took for dead, while nothing was wrong but the load;
//   - the kingpin's resident memory at full, and from it the memory per worker (the
//     slope between the smallest and the largest count);
//   - the kingpin's CPU over an idle second of heartbeats, in % of one core;
//   - calls/s through the plain API with 64 in flight (the benchmark joins as a worker
//     of "client" and calls echo), and its ratio to the smallest count's;
//   - messages: a sender's 32-byte messages to any() echo worker, and broadcasts to
//     all() of them, delivered per second (message_probe.hpp);
//   - revive: SIGKILL of an echo worker up past min_uptime -> the kingpin full again.
// Then, once, the kingpin's memory per queued call: calls to a role none of whose
// workers is there wait in the broker (--queued, default 5000).
// Every figure is the median of the rounds. --data DIR also writes them to DIR/scale.dat
// (a row per worker count) for bench/plots.sh. The kingpin and its workers are this
// program again (--scale-app N); everything is stopped and reaped at the end or on
// SIGINT/SIGTERM (children.hpp).
#include "children.hpp"
#include "measure.hpp"
#include "message_probe.hpp"
#include "scale_probe.hpp"

#include <fmt/format.h>
#include <mob/app.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {
namespace {

constexpr const char* program_name = "mob-scale-bench";
constexpr std::chrono::milliseconds min_uptime{500};

int scale_app_main(int argc, char** argv, std::uint32_t echo_workers, bool with_absent) {
    mob::app app{scale_app_name};
    app.role("echo",
             [](mob::worker& w) {
                 w.export_fn("echo", [](std::string s) { return s; });
                 w.export_fn("whoami", [&w] { return w.pid(); });
                 count_ticks(w);
             },
             {.workers = echo_workers, .min_uptime = min_uptime})
        .role("client", [](mob::worker&) {}, {.workers = 1});
    if (with_absent)
        app.external_role("absent", {.workers = 1});  // never joins: its calls wait
    return app.run(argc, argv);
}

struct options {
    std::vector<std::uint32_t> workers{4, 16, 64, 1000};
    std::size_t rounds = 3;
    std::size_t calls = 50000;
    std::size_t queued = 5000;
    std::string data_dir;
};

std::uint32_t parse_count(std::string_view text) {
    std::string s{text};
    char* end = nullptr;
    auto v = std::strtoul(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v == 0 || v > 100000)
        throw std::invalid_argument(fmt::format("'{}' is not a count from 1 to 100000", text));
    return static_cast<std::uint32_t>(v);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc)
                throw std::invalid_argument(fmt::format("{} needs a value", a));
            return argv[++i];
        };
        if (a == "--workers") {
            o.workers.clear();
            auto list = value();
            for (std::size_t at = 0; at <= list.size();) {
                auto comma = std::min(list.find(',', at), list.size());
                o.workers.push_back(parse_count(list.substr(at, comma - at)));
                at = comma + 1;
            }
        } else if (a == "--rounds") {
            o.rounds = parse_count(value());
        } else if (a == "--calls") {
            o.calls = parse_count(value());
        } else if (a == "--queued") {
            o.queued = parse_count(value());
        } else if (a == "--data") {
            o.data_dir = std::string{value()};
        } else {
            throw std::invalid_argument(fmt::format("unknown argument '{}'", a));
        }
    }
    return o;
}

void print(const std::vector<scale_figures>& rows, double queued_bytes) {
    std::printf("\n%8s %14s %12s %9s %12s %10s %14s %9s %11s %12s %12s %8s\n", "workers",
                "start->full ms", "by exec ms", "false warn", "kingpin MiB", "idle CPU%",
                "calls/s w=64", "vs first", "revive ms", "any msg/s", "all copies/s", "lost");
    for (const auto& r : rows) {
        std::printf(
            "%8u %14.0f %12.0f %9.0f %12.1f %10.2f %14.0f %8.2fx %11.0f %12.0f %12.0f %8.0f\n",
            r.workers, r.start_ms, r.exec_start_ms, r.false_warnings, r.rss_mib, r.idle_cpu_percent,
            r.calls_per_s, r.calls_per_s / rows.front().calls_per_s, r.revive_ms, r.any_per_s,
            r.all_per_s, r.message_errors);
    }
    if (rows.size() >= 2) {
        const auto& a = rows.front();
        const auto& b = rows.back();
        std::printf("kingpin memory per connected worker: %.1f KiB (slope from %u to %u)\n",
                    (b.rss_mib - a.rss_mib) * 1024.0 / (b.workers - a.workers), a.workers,
                    b.workers);
    }
    std::printf("kingpin memory per queued call (32-byte payload): %.0f bytes\n", queued_bytes);
}

void write_data(const std::string& dir, const std::vector<scale_figures>& rows) {
    std::filesystem::create_directories(dir);
    const auto file = std::filesystem::path{dir} / "scale.dat";
    std::ofstream out{file};
    out << "workers start_ms false_warnings kingpin_mib idle_cpu_percent calls_per_s revive_ms "
           "any_per_s all_per_s lost exec_start_ms\n";
    for (const auto& r : rows) {
        out << fmt::format(
            "{} {:.1f} {:.0f} {:.2f} {:.2f} {:.0f} {:.1f} {:.0f} {:.0f} {:.0f} {:.1f}\n", r.workers,
            r.start_ms, r.false_warnings, r.rss_mib, r.idle_cpu_percent, r.calls_per_s, r.revive_ms,
            r.any_per_s, r.all_per_s, r.message_errors, r.exec_start_ms);
    }
    if (!out.flush()) {
        throw std::runtime_error(fmt::format("--data: cannot write {}", file.string()));
    }
}

int run(int argc, char** argv) {
    auto o = parse(argc, argv);
    std::vector<scale_figures> rows;
    for (auto n : o.workers) {
        std::vector<scale_figures> rounds;
        for (std::size_t r = 0; r < o.rounds; ++r) {
            // With the fork server (the default) and without, interleaved.
            rounds.push_back(measure_scale(program_name, n, o.calls, min_uptime));
            rounds.back().exec_start_ms = measure_exec_start(program_name, n);
            std::fprintf(stderr, "  %u workers, round %zu: full in %.0f ms (by exec: %.0f ms)\n", n,
                         r + 1, rounds.back().start_ms, rounds.back().exec_start_ms);
        }
        rows.push_back(median_of(rounds));
    }
    print(rows, measure_queued_call_bytes(program_name, o.queued));
    if (!o.data_dir.empty()) {
        write_data(o.data_dir, rows);
    }
    return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    try {
        if (argc == 4 && std::string_view{argv[1]} == "--scale-app") {
            return scale_app_main(argc, argv, parse_count(argv[2]),
                                  std::string_view{argv[3]} == "absent");
        }
        install_signal_cleanup();
        int code = 0;
        try {
            code = run(argc, argv);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "%s: %s\n", program_name, e.what());
            code = 2;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: %s\n", program_name, e.what());
            code = 1;
        }
        reap_orphans();
        return code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program_name, e.what());
        return 1;
    }
}
