// mob-rpc-bench: what a call through the kingpin costs, next to a floor made of plain
// cppzmq sockets doing the same three hops (client -> broker -> worker and back), and
// next to the baselines issue 15 sets mob against: node's mob 0.0.9 and NATS
// request-reply with a queue group (baselines.hpp; bench/run.sh installs and names them).
//
//     mob-rpc-bench [--quick] [--calls N] [--rounds R] [--credit C] [--payload B]
//                   [--only mob|floor|node-mob|nats] [--serve inline|dispatcher|both]
//                   [--node-mob DIR [--node BIN]] [--nats-client BIN [--nats-server BIN]]
//
// For 1 and 4 echo workers it measures the round trip with one call in flight (p50,
// p99, p99.9; credit 1 per worker) and the throughput with 64 and 256 calls in flight
// (credit C per worker, default 64), for every path, and prints one table with the
// ratios of mob's plain API against the floor and each baseline (table.hpp).
// mob is measured twice: its plain API (echo exported plainly, run on the worker's
// dispatcher thread; clients that wait on futures), and the inline path (echo exported
// with export_options::inline_call, clients whose result handlers start the next call
// on their I/O thread, call_settings::inline_result), which the older goals against
// the floor are checked on.
// Every path runs side by side and they are measured in alternation for R rounds
// (default 5), so a change in the machine's load hits all: latency percentiles are over
// every round's calls, throughput is the median round.
//
// The kingpin and its workers (--mob-app), the floor's broker (--floor-broker) and
// workers (--floor-worker) are this program; the baselines are node, nats-server and
// the Go client. Each group runs on its own and is stopped and reaped when its run
// ends, or on SIGINT/SIGTERM (children.hpp).
#include "baselines.hpp"
#include "children.hpp"
#include "data_files.hpp"
#include "floor.hpp"
#include "measure.hpp"
#include "mob_side.hpp"
#include "options.hpp"
#include "rigs.hpp"
#include "table.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <mob/app.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bench {
namespace {

constexpr std::size_t worker_counts[] = {1, 4};
/// What a role gets when its options say nothing about credit.
const std::uint32_t default_credit = mob::worker_options{}.credit;

std::size_t parse_child_count(const char* text) {
    char* end = nullptr;
    auto v = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || v == 0) {
        throw std::invalid_argument(fmt::format("a child's argument '{}' is no count", text));
    }
    return static_cast<std::size_t>(v);
}

void progress(const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
}

/// The progress lines' name of a path.
const char* short_name(path p) {
    constexpr const char* names[path_count] = {"floor",       "node-mob",  "nats",
                                               "mob-default", "mob-plain", "mob"};
    return names[static_cast<std::size_t>(p)];
}

/// A path ready to measure, whose processes some rig holds.
struct contender {
    path which;
    std::function<std::vector<double>(std::size_t warmup, std::size_t calls)> latency;
    std::function<double(std::size_t window, std::size_t warmup, std::size_t calls)> throughput;
};

template <typename Client>
contender of(path which, Client& c) {
    return {
        which, [&c](std::size_t w, std::size_t n) { return c.latency(w, n); },
        [&c](std::size_t win, std::size_t w, std::size_t n) { return c.throughput(win, w, n); }};
}

/// Every contender up side by side (the idle ones block or sleep), measured in
/// alternation, round after round, so a change in the machine's load hits all.
void measure_latency(results& r, const std::vector<contender>& cs, const plan& p) {
    for (std::size_t round = 0; round < p.rounds; ++round) {
        std::string line = fmt::format("{} worker(s), {}, round {}: p50", r.workers,
                                       transport_name(r.over), round + 1);
        for (const auto& c : cs) {
            auto got = c.latency(p.latency_warmup, p.latency_calls);
            auto& all = r[c.which].latency_us;
            all.insert(all.end(), got.begin(), got.end());
            line += fmt::format(" {} {:.1f} us", short_name(c.which), summarize(got).p50_us);
        }
        progress(line);
    }
}

void measure_throughput(results& r, const std::vector<contender>& cs, const plan& p,
                        const std::vector<std::size_t>& windows) {
    for (const auto& c : cs) {
        r[c.which].rates.assign(windows.size(), {});
    }
    for (std::size_t round = 0; round < p.rounds; ++round) {
        for (std::size_t i = 0; i < windows.size(); ++i) {
            std::string line = fmt::format("{} worker(s), {}, round {}, window {}:", r.workers,
                                           transport_name(r.over), round + 1, windows[i]);
            for (const auto& c : cs) {
                auto got = c.throughput(windows[i], p.throughput_warmup, p.throughput_calls);
                r[c.which].rates[i].push_back(got);
                line += fmt::format(" {} {:.1f} k/s", short_name(c.which), got / 1000);
            }
            progress(line);
        }
    }
}

/// Every path `o` names, for `workers` workers, the floor's and mob's over `t`: the
/// latency runs on rigs of credit 1, the throughput runs on rigs of `o.credit`. The
/// baselines know no credit, so one group of their processes serves both.
results measure(std::size_t workers, transport t, const options& o) {
    const auto& p = o.what;
    results r;
    r.workers = workers;
    r.over = t;
    std::optional<node_mob_rig> node_mob;
    std::optional<nats_rig> nats;
    if (o.on(path::node_mob)) {
        node_mob.emplace(o.node_mob_dir, o.node, workers, p);
    }
    if (o.on(path::nats)) {
        nats.emplace(o.nats_server, o.nats_client, workers, p);
    }
    auto phase = [&](std::uint32_t credit, bool latency) {
        std::optional<floor_rig> f;
        std::optional<mob_rig> plain;
        std::optional<mob_rig> defaults;
        std::optional<mob_rig> inl;
        std::vector<contender> cs;
        if (o.on(path::floor)) {
            cs.push_back(of(path::floor, f.emplace(workers, credit, p, t).client()));
        }
        if (node_mob) {
            cs.push_back(of(path::node_mob, node_mob->client()));
        }
        if (nats) {
            cs.push_back(of(path::nats, nats->client()));
        }
        // At one call in flight every rig has credit 1, the default: the plain rig's
        // latency is the default's too (copied below), measured once.
        if (o.on(path::mob_default) && !latency) {
            cs.push_back(of(
                path::mob_default,
                defaults.emplace(workers, default_credit, p, serve_mode::dispatcher, t).client()));
        }
        if (o.on(path::mob_plain)) {
            cs.push_back(of(path::mob_plain,
                            plain.emplace(workers, credit, p, serve_mode::dispatcher, t).client()));
        }
        if (o.on(path::mob_inline)) {
            auto& c = inl.emplace(workers, credit, p, serve_mode::inline_call, t).client();
            // The inline client's own measurements: result handlers on its I/O thread.
            cs.push_back({path::mob_inline,
                          [&c](std::size_t w, std::size_t n) { return c.latency_inline(w, n); },
                          [&c](std::size_t win, std::size_t w, std::size_t n) {
                              return c.throughput_inline(win, w, n);
                          }});
        }
        if (latency) {
            measure_latency(r, cs, p);
        } else {
            measure_throughput(r, cs, p, o.windows);
        }
    };
    if (o.latency) {
        phase(1, true);
        r[path::mob_default].latency_us = r[path::mob_plain].latency_us;
    }
    phase(o.credit, false);
    return r;
}

int run(int argc, char** argv) {
    auto o = parse_options(argc, argv);
    const auto& p = o.what;
    std::printf(
        "mob-rpc-bench: echo of a %zu-byte string, client -> broker -> worker and back, %ld "
        "CPUs, %zu round(s)\n",
        p.payload, ::sysconf(_SC_NPROCESSORS_ONLN), p.rounds);
    std::printf(
        "  latency: 1 call in flight, %zu calls after %zu warm-up per round, credit 1 per "
        "worker; calls/s at 1 in flight is 1 / the mean round trip\n",
        p.latency_calls, p.latency_warmup);
    std::printf(
        "  throughput: %zu calls after %zu warm-up per round and window, credit %u per "
        "worker for mob and the floor (median round)\n",
        p.throughput_calls, p.throughput_warmup, o.credit);
    if (o.on(path::floor) || o.on(path::mob_plain) || o.on(path::mob_inline)) {
        std::string over;
        for (auto t : o.transports) {
            over += fmt::format("{}{}", over.empty() ? "" : " and ", transport_name(t));
        }
        std::printf("  floor, mob: over %s%s\n", over.c_str(),
                    o.transports.size() > 1 ? " (a table block each)" : "");
    }
    if (o.on(path::mob_default)) {
        std::printf(
            "  mob plain, default credit: the plain API below with the role's default credit "
            "(%u) in the windows too: what a user gets without tuning\n",
            default_credit);
    }
    if (o.on(path::mob_plain)) {
        std::printf(
            "  mob plain API: echo exported plainly (run on the worker's dispatcher thread), "
            "clients wait for futures (the throughput client for the oldest call's, then start "
            "the next)\n");
    }
    if (o.on(path::mob_inline)) {
        std::printf(
            "  mob inline: echo exported with {.inline_call = true}, clients call with "
            "{.inline_result = true} (each result's handler, on the client's I/O thread, "
            "starts the next call)\n");
    }
    if (o.on(path::node_mob)) {
        std::printf(
            "  node mob 0.0.9: %s/main.js under %s: a front worker calls back.echo(x, cb) "
            "through the kingpin (node cluster IPC, JSON; round robin, no credit)\n",
            o.node_mob_dir.c_str(), o.node.c_str());
    }
    if (o.on(path::nats)) {
        std::printf(
            "  NATS: %s on a free port of 127.0.0.1 (tcp), echo responders in one queue "
            "group, %s: Request() per call at 1 in flight, PublishRequest to one inbox for "
            "the windows\n",
            o.nats_server.c_str(), o.nats_client.c_str());
    }
    std::fflush(stdout);

    std::vector<results> all;
    for (auto t : o.transports) {
        for (auto n : worker_counts) {
            all.push_back(measure(n, t, o));
        }
    }
    print_table(all, o);
    if (!o.data_dir.empty()) {
        write_data_files(all, o);
        std::printf("\ndata files for plots in %s\n", o.data_dir.c_str());
    }
    return 0;
}

serve_mode serve_mode_of(std::string_view arg) {
    return arg == "inline" ? serve_mode::inline_call : serve_mode::dispatcher;
}

std::uint32_t parse_u32(const char* text) {
    return static_cast<std::uint32_t>(parse_child_count(text));
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
            // The kingpin's argv: workers, credit, serve mode, and over tcp its endpoint.
            if (mode == "--mob-app" && (argc == 5 || argc == 6)) {
                return mob_app_main(argc, argv, parse_u32(argv[2]), parse_u32(argv[3]),
                                    serve_mode_of(argv[4]), argc == 6 ? argv[5] : "");
            }
            if (mode == "--mob-echo-worker" && argc == 3) {
                return mob_echo_worker_main(serve_mode_of(argv[2]));
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
