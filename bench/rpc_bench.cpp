// mob-rpc-bench: what a call through the kingpin costs, next to a floor made of plain
// cppzmq sockets doing the same three hops (client -> broker -> worker and back).
//
//     mob-rpc-bench [--quick] [--calls N] [--rounds R] [--credit C] [--payload B]
//                   [--only mob|floor] [--serve inline|dispatcher|both]
//
// For 1 and 4 echo workers it measures the round trip with one call in flight (p50,
// p99; credit 1 per worker) and the throughput with 64 and 256 calls in flight (credit
// C per worker, default 64), for mob and for the floor, and prints mob/floor ratios
// against the goals: p50 within 1.5x the floor, throughput at least 0.6x the floor.
// mob is measured twice: with echo exported inline (export_options::inline_call, run
// on the serving worker's I/O thread) and, for throughput, a client whose result
// handlers start the next call on its own I/O thread (call_settings::inline_result),
// which the goals are checked on; and in mob's default mode (run on the worker's
// dispatcher thread, a client that waits on futures), shown next to it.
// Both systems run side by side and are measured in alternation for R rounds (default
// 5), so a change in the machine's load hits both: latency percentiles are over every
// round's calls, throughput is the median round.
//
// Every process is this program: the kingpin and its workers (--mob-app), the floor's
// broker (--floor-broker) and workers (--floor-worker); each runs on its own temporary
// directory and is stopped and reaped when its run ends, or on SIGINT/SIGTERM.
#include "children.hpp"
#include "floor.hpp"
#include "measure.hpp"
#include "mob_side.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {
namespace {

constexpr const char* program_name = "mob-rpc-bench";
constexpr double latency_goal = 1.5;     // mob p50 / floor p50 at most
constexpr double throughput_goal = 0.6;  // mob calls/s / floor calls/s at least
constexpr std::size_t windows[] = {64, 256};
constexpr std::size_t worker_counts[] = {1, 4};

struct options {
    plan what;
    bool floor = true;          ///< measure the floor
    bool mob = true;            ///< measure mob with inline exports
    bool mob_default = true;    ///< measure mob in its default mode (dispatcher thread)
    std::uint32_t credit = 64;  ///< per worker, for the windowed runs
};

const char* mode_arg(serve_mode m) {
    return m == serve_mode::inline_call ? "inline" : "dispatcher";
}

std::size_t parse_count(std::string_view flag, const char* text) {
    char* end = nullptr;
    auto v = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || v == 0) {
        throw std::invalid_argument(
            fmt::format("{} wants a positive number, not '{}'", flag, text));
    }
    return static_cast<std::size_t>(v);
}

void usage() {
    std::fputs(
        "usage: mob-rpc-bench [--quick] [--calls N] [--rounds R] [--credit C] [--payload B]\n"
        "                     [--only mob|floor] [--serve inline|dispatcher|both]\n"
        "  --quick      fewer calls (1000 for latency, 10000 per throughput run), 1 round\n"
        "  --calls N    calls per latency run (N) and per throughput run (10 N); default 2000\n"
        "  --rounds R   runs of each measurement, mob and floor in alternation (default 5)\n"
        "  --credit C   credit per worker in the throughput runs (default 64)\n"
        "  --payload B  size of the echoed string (default 64)\n"
        "  --only S     measure one side only, mob or floor (to profile it)\n"
        "  --serve M    how mob's echo workers serve: inline (on the I/O thread), dispatcher\n"
        "               (mob's default), or both (default)\n",
        stderr);
}

options parse_options(int argc, char** argv) {
    options o;
    std::optional<std::size_t> calls;
    std::optional<std::size_t> rounds;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                throw std::invalid_argument(fmt::format("{} wants a value", a));
            }
            return argv[++i];
        };
        if (a == "--quick") {
            quick = true;
        } else if (a == "--calls") {
            calls = parse_count(a, value());
        } else if (a == "--rounds") {
            rounds = parse_count(a, value());
        } else if (a == "--only") {
            std::string_view which = value();
            if (which != "mob" && which != "floor") {
                throw std::invalid_argument("--only wants mob or floor");
            }
            o.floor = which == "floor";
            o.mob = o.mob && which == "mob";
            o.mob_default = o.mob_default && which == "mob";
        } else if (a == "--serve") {
            std::string_view which = value();
            if (which != "inline" && which != "dispatcher" && which != "both") {
                throw std::invalid_argument("--serve wants inline, dispatcher or both");
            }
            o.mob = o.mob && which != "dispatcher";
            o.mob_default = o.mob_default && which != "inline";
        } else if (a == "--credit") {
            o.credit = static_cast<std::uint32_t>(parse_count(a, value()));
        } else if (a == "--payload") {
            o.what.payload = parse_count(a, value());
        } else if (a == "--help" || a == "-h") {
            usage();
            std::exit(0);
        } else {
            throw std::invalid_argument(fmt::format("unknown argument '{}'", a));
        }
    }
    std::size_t n = calls.value_or(quick ? 1000 : 2000);
    o.what.latency_calls = n;
    o.what.latency_warmup = std::max<std::size_t>(n / 10, 50);
    o.what.throughput_calls = 10 * n;
    o.what.throughput_warmup = n;
    o.what.rounds = rounds.value_or(quick ? 1 : 5);
    return o;
}

void progress(const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
}

/// A floor on a fresh directory: broker, `workers` workers of `credit`, our client.
class floor_rig {
  public:
    floor_rig(std::size_t workers, std::uint32_t credit, const plan& p)
        : endpoint_("ipc://" + dir_.path() + "/floor.sock"),
          broker_({program_name, "--floor-broker", endpoint_}) {
        for (std::size_t i = 0; i < workers; ++i) {
            workers_.push_back(std::make_unique<child>(std::vector<std::string>{
                program_name, "--floor-worker", endpoint_, std::to_string(credit)}));
        }
        client_ = std::make_unique<floor_client>(endpoint_, p.payload);
        client_->wait_for_workers(workers, std::chrono::seconds{10});
    }
    floor_client& client() { return *client_; }

  private:
    temp_dir dir_;  // first: removed last
    std::string endpoint_;
    child broker_;
    std::vector<std::unique_ptr<child>> workers_;
    std::unique_ptr<floor_client> client_;  // last: gone before the processes
};

/// A kingpin on a fresh runtime directory with `workers` echo workers of `credit`, and
/// the benchmark joined to it as a worker of role "client".
class mob_rig {
  public:
    mob_rig(std::size_t workers, std::uint32_t credit, const plan& p, serve_mode mode)
        : kingpin_({program_name, "--mob-app", std::to_string(workers), std::to_string(credit),
                    mode_arg(mode)},
                   {"MOB_RUNTIME_DIR=" + dir_.path(), "MOB_LOG=info"},
                   /*capture_stderr=*/true) {
        if (!kingpin_.wait_for_line("full: every role has its workers", std::chrono::seconds{15})) {
            throw std::runtime_error("mob: the kingpin did not get its workers up in 15 s");
        }
        client_ = std::make_unique<mob_client>(
            fmt::format("ipc://{}/{}/broker.sock", dir_.path(), mob_app_name), p.payload);
    }
    mob_client& client() { return *client_; }

  private:
    temp_dir dir_;
    child kingpin_;
    std::unique_ptr<mob_client> client_;  // says goodbye before the kingpin stops
};

double median(std::vector<double> v) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// One system's numbers for one worker count.
struct side {
    std::vector<double> latency_us;          // every measured round trip, all rounds
    std::vector<std::vector<double>> rates;  // per window, calls/s of each round
    latency_summary latency() const { return summarize(latency_us); }
    double rate(std::size_t window) const {
        return window < rates.size() ? median(rates[window]) : 0;
    }
    bool empty() const { return latency_us.empty(); }
};

/// Both systems up side by side (the idle one blocks or sleeps), measured in
/// alternation, round after round, so a change in the machine's load hits both.
void measure_latency(std::size_t workers, const options& o, side& fl, side& mb, side& md) {
    const auto& p = o.what;
    std::optional<floor_rig> f;
    std::optional<mob_rig> m;
    std::optional<mob_rig> d;
    if (o.floor) {
        f.emplace(workers, 1, p);
    }
    if (o.mob) {
        m.emplace(workers, 1, p, serve_mode::inline_call);
    }
    if (o.mob_default) {
        d.emplace(workers, 1, p, serve_mode::dispatcher);
    }
    for (std::size_t r = 0; r < p.rounds; ++r) {
        std::string line = fmt::format("{} worker(s), round {}: p50", workers, r + 1);
        if (f) {
            auto a = f->client().latency(p.latency_warmup, p.latency_calls);
            fl.latency_us.insert(fl.latency_us.end(), a.begin(), a.end());
            line += fmt::format(" floor {:.1f} us", summarize(a).p50_us);
        }
        if (m) {
            auto b = m->client().latency_inline(p.latency_warmup, p.latency_calls);
            mb.latency_us.insert(mb.latency_us.end(), b.begin(), b.end());
            line += fmt::format(" mob {:.1f} us", summarize(b).p50_us);
        }
        if (d) {
            auto b = d->client().latency(p.latency_warmup, p.latency_calls);
            md.latency_us.insert(md.latency_us.end(), b.begin(), b.end());
            line += fmt::format(" mob-default {:.1f} us", summarize(b).p50_us);
        }
        progress(line);
    }
}

void measure_throughput(std::size_t workers, const options& o, side& fl, side& mb, side& md) {
    const auto& p = o.what;
    std::optional<floor_rig> f;
    std::optional<mob_rig> m;
    std::optional<mob_rig> d;
    if (o.floor) {
        f.emplace(workers, o.credit, p);
    }
    if (o.mob) {
        m.emplace(workers, o.credit, p, serve_mode::inline_call);
    }
    if (o.mob_default) {
        d.emplace(workers, o.credit, p, serve_mode::dispatcher);
    }
    fl.rates.assign(std::size(windows), {});
    mb.rates.assign(std::size(windows), {});
    md.rates.assign(std::size(windows), {});
    for (std::size_t r = 0; r < p.rounds; ++r) {
        for (std::size_t i = 0; i < std::size(windows); ++i) {
            std::string line =
                fmt::format("{} worker(s), round {}, window {}:", workers, r + 1, windows[i]);
            if (f) {
                auto a =
                    f->client().throughput(windows[i], p.throughput_warmup, p.throughput_calls);
                fl.rates[i].push_back(a);
                line += fmt::format(" floor {:.1f} k/s", a / 1000);
            }
            if (m) {
                auto b = m->client().throughput_inline(windows[i], p.throughput_warmup,
                                                       p.throughput_calls);
                mb.rates[i].push_back(b);
                line += fmt::format(" mob {:.1f} k/s", b / 1000);
            }
            if (d) {
                auto b =
                    d->client().throughput(windows[i], p.throughput_warmup, p.throughput_calls);
                md.rates[i].push_back(b);
                line += fmt::format(" mob-default {:.1f} k/s", b / 1000);
            }
            progress(line);
        }
    }
}

std::string us(double v) {
    return v > 0 ? fmt::format("{:.1f} us", v) : "-";
}
std::string rate(double v) {
    return v > 0 ? fmt::format("{:.1f} k/s", v / 1000.0) : "-";
}

struct row {
    std::string scenario;
    std::string mob;
    std::string mob_default;
    std::string floor;
    double ratio = 0;          // mob (inline) / floor
    double ratio_default = 0;  // mob (default) / floor
    std::string goal;          // empty: informational
    bool met = true;
};

std::string ratio_text(double r) {
    return std::isfinite(r) && r > 0 ? fmt::format("{:.2f}x", r) : "-";
}

int run(int argc, char** argv) {
    auto o = parse_options(argc, argv);
    const auto& p = o.what;
    std::printf(
        "mob-rpc-bench: echo of a %zu-byte string over ipc, client -> broker -> worker and "
        "back, %ld CPUs, %zu round(s)\n",
        p.payload, ::sysconf(_SC_NPROCESSORS_ONLN), p.rounds);
    std::printf(
        "  latency: 1 call in flight, %zu calls after %zu warm-up per round, credit 1 per "
        "worker\n",
        p.latency_calls, p.latency_warmup);
    std::printf(
        "  throughput: %zu calls after %zu warm-up per round and window, credit %u per "
        "worker (median round)\n",
        p.throughput_calls, p.throughput_warmup, o.credit);
    std::printf(
        "  mob: echo exported with {.inline_call = true} (run on the worker's I/O thread; the "
        "goals are checked on it);\n"
        "       its clients call with {.inline_result = true}: each result's handler (on the "
        "client's I/O thread) takes the time and starts the next call\n"
        "  mob default: echo exported plainly (run on the worker's dispatcher thread); its "
        "clients wait for futures: the latency client for each call's, the throughput client "
        "for the oldest call's, then start the next\n");
    std::fflush(stdout);

    std::vector<row> rows;
    for (auto n : worker_counts) {
        side fl;
        side mb;
        side md;
        measure_latency(n, o, fl, mb, md);
        measure_throughput(n, o, fl, mb, md);
        const auto who = fmt::format("{} worker{}", n, n == 1 ? "" : "s");
        auto fl_lat = fl.latency();
        auto mb_lat = mb.latency();
        auto md_lat = md.latency();
        auto r50 = mb_lat.p50_us / fl_lat.p50_us;
        rows.push_back({fmt::format("{}, latency p50", who), us(mb_lat.p50_us), us(md_lat.p50_us),
                        us(fl_lat.p50_us), r50, md_lat.p50_us / fl_lat.p50_us,
                        fmt::format("<= {}x", latency_goal), r50 <= latency_goal});
        rows.push_back({fmt::format("{}, latency p99", who), us(mb_lat.p99_us), us(md_lat.p99_us),
                        us(fl_lat.p99_us), mb_lat.p99_us / fl_lat.p99_us,
                        md_lat.p99_us / fl_lat.p99_us, "", true});
        for (std::size_t i = 0; i < std::size(windows); ++i) {
            auto r = mb.rate(i) / fl.rate(i);
            rows.push_back({fmt::format("{}, throughput w={}", who, windows[i]), rate(mb.rate(i)),
                            rate(md.rate(i)), rate(fl.rate(i)), r, md.rate(i) / fl.rate(i),
                            fmt::format(">= {}x", throughput_goal), r >= throughput_goal});
        }
    }

    std::printf("\n%-28s %11s %11s %11s %10s %10s  %-8s\n", "scenario", "mob", "mob default",
                "floor", "mob/floor", "default/fl", "goal");
    int goals = 0;
    int met = 0;
    for (const auto& r : rows) {
        std::string verdict;
        const bool measured = std::isfinite(r.ratio) && r.ratio > 0;
        if (!r.goal.empty() && measured) {
            ++goals;
            met += r.met ? 1 : 0;
            verdict = r.met ? "ok" : "MISSED";
        }
        std::printf("%-28s %11s %11s %11s %10s %10s  %-8s %s\n", r.scenario.c_str(), r.mob.c_str(),
                    r.mob_default.c_str(), r.floor.c_str(), ratio_text(r.ratio).c_str(),
                    ratio_text(r.ratio_default).c_str(), r.goal.empty() ? "-" : r.goal.c_str(),
                    verdict.c_str());
    }
    std::printf("\ngoals met (mob with inline exports): %d of %d\n", met, goals);
    return 0;
}

std::uint32_t parse_u32(const char* text) {
    return static_cast<std::uint32_t>(parse_count("a child's argument", text));
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    try {
        // The modes this program is re-executed in. The kingpin starts its workers with
        // the same argv, and mob::app tells them apart by MOB_ROLE.
        if (argc >= 2) {
            std::string_view mode = argv[1];
            if (mode == "--mob-app" && argc == 5) {
                auto serve = std::string_view{argv[4]} == "inline" ? serve_mode::inline_call
                                                                   : serve_mode::dispatcher;
                return mob_app_main(argc, argv, parse_u32(argv[2]), parse_u32(argv[3]), serve);
            }
            if (mode == "--floor-broker" && argc == 3) {
                return floor_broker_main(argv[2]);
            }
            if (mode == "--floor-worker" && argc == 4) {
                return floor_worker_main(argv[2], parse_u32(argv[3]));
            }
        }
        install_signal_cleanup();
        int code = 0;
        try {
            code = run(argc, argv);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "mob-rpc-bench: %s\n", e.what());
            usage();
            code = 2;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mob-rpc-bench: %s\n", e.what());
            code = 1;
        }
        reap_orphans();  // every handle is gone: what is left was orphaned
        return code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mob-rpc-bench: %s\n", e.what());
        return 1;
    }
}
