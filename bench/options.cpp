#include "options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace bench {
namespace {

std::size_t parse_count(std::string_view flag, const char* text) {
    char* end = nullptr;
    auto v = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || v == 0) {
        throw std::invalid_argument(
            fmt::format("{} wants a positive number, not '{}'", flag, text));
    }
    return static_cast<std::size_t>(v);
}

/// "1,64,256": each a positive number, in the order given.
std::vector<std::size_t> parse_list(std::string_view flag, std::string_view text) {
    std::vector<std::size_t> v;
    while (!text.empty()) {
        auto comma = text.find(',');
        std::string item{text.substr(0, comma)};
        v.push_back(parse_count(flag, item.c_str()));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    if (v.empty()) {
        throw std::invalid_argument(fmt::format("{} wants a list of numbers", flag));
    }
    return v;
}

void set(options& o, path p, bool on) {
    o.measured[static_cast<std::size_t>(p)] = on;
}

}  // namespace

const char* transport_name(transport t) {
    return t == transport::tcp ? "tcp" : "ipc";
}

void usage() {
    std::fputs(
        "usage: mob-rpc-bench [--quick] [--calls N] [--rounds R] [--credit C] [--payload B]\n"
        "                     [--only mob|floor|node-mob|nats] [--serve inline|dispatcher|both]\n"
        "                     [--node-mob DIR [--node BIN]] [--nats-client BIN "
        "[--nats-server BIN]]\n"
        "                     [--transport ipc|tcp|both] [--windows W,W,...] [--no-latency]\n"
        "                     [--data DIR]\n"
        "  --quick      fewer calls (1000 for latency, 10000 per throughput run), 1 round\n"
        "  --calls N    calls per latency run (N) and per throughput run (10 N); default 2000\n"
        "  --rounds R   runs of each measurement, every side in alternation (default 5)\n"
        "  --credit C   credit per worker in mob's and the floor's throughput runs (default 64)\n"
        "  --payload B  size of the echoed string (default 32)\n"
        "  --transport T  the floor's and mob's hops over ipc (default), tcp (127.0.0.1; mob's\n"
        "               echo workers join as external workers), or both, one table each\n"
        "  --windows L  calls in flight of the throughput runs (default 64,256)\n"
        "  --no-latency the throughput runs only (to profile them: perf stat, perf record)\n"
        "  --data DIR   also write the figures as data files for plots (bench/plots.sh)\n"
        "  --only S     measure one side only: mob, floor, node-mob or nats (to profile it)\n"
        "  --serve M    how mob's echo workers serve: inline (on the I/O thread), dispatcher\n"
        "               (mob's default, the plain API), or both (default)\n"
        "  --node-mob DIR     measure node's mob 0.0.9 too: DIR has bench/baselines/node-mob's\n"
        "                     main.js, back.js, front.js and node_modules/mob\n"
        "  --node BIN         the node to run it with (default: node on PATH)\n"
        "  --nats-client BIN  measure NATS request-reply too: BIN is bench/baselines/nats built\n"
        "  --nats-server BIN  the server it talks to (default: nats-server on PATH)\n"
        "  (bench/run.sh installs and builds all of them and passes these)\n",
        stderr);
}

options parse_options(int argc, char** argv) {
    options o;
    std::optional<std::size_t> calls;
    std::optional<std::size_t> rounds;
    std::optional<std::string> only;
    bool inline_mode = true;
    bool dispatcher_mode = true;
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
            only = value();
            if (*only != "mob" && *only != "floor" && *only != "node-mob" && *only != "nats") {
                throw std::invalid_argument("--only wants mob, floor, node-mob or nats");
            }
        } else if (a == "--serve") {
            std::string_view which = value();
            if (which != "inline" && which != "dispatcher" && which != "both") {
                throw std::invalid_argument("--serve wants inline, dispatcher or both");
            }
            inline_mode = which != "dispatcher";
            dispatcher_mode = which != "inline";
        } else if (a == "--credit") {
            o.credit = static_cast<std::uint32_t>(parse_count(a, value()));
        } else if (a == "--payload") {
            o.what.payload = parse_count(a, value());
        } else if (a == "--transport") {
            std::string_view which = value();
            if (which != "ipc" && which != "tcp" && which != "both") {
                throw std::invalid_argument("--transport wants ipc, tcp or both");
            }
            o.transports.clear();
            if (which != "tcp") {
                o.transports.push_back(transport::ipc);
            }
            if (which != "ipc") {
                o.transports.push_back(transport::tcp);
            }
        } else if (a == "--windows") {
            o.windows = parse_list(a, value());
        } else if (a == "--no-latency") {
            o.latency = false;
        } else if (a == "--data") {
            o.data_dir = value();
        } else if (a == "--node-mob") {
            o.node_mob_dir = value();
        } else if (a == "--node") {
            o.node = value();
        } else if (a == "--nats-client") {
            o.nats_client = value();
        } else if (a == "--nats-server") {
            o.nats_server = value();
        } else if (a == "--help" || a == "-h") {
            usage();
            std::exit(0);
        } else {
            throw std::invalid_argument(fmt::format("unknown argument '{}'", a));
        }
    }
    set(o, path::node_mob, !o.node_mob_dir.empty());
    set(o, path::nats, !o.nats_client.empty());
    set(o, path::mob_inline, inline_mode);
    set(o, path::mob_plain, dispatcher_mode);
    set(o, path::mob_default, dispatcher_mode);
    if (only) {
        if (*only == "node-mob" && o.node_mob_dir.empty()) {
            throw std::invalid_argument("--only node-mob wants --node-mob DIR");
        }
        if (*only == "nats" && o.nats_client.empty()) {
            throw std::invalid_argument("--only nats wants --nats-client BIN");
        }
        set(o, path::floor, *only == "floor");
        set(o, path::node_mob, *only == "node-mob");
        set(o, path::nats, *only == "nats");
        set(o, path::mob_inline, inline_mode && *only == "mob");
        set(o, path::mob_plain, dispatcher_mode && *only == "mob");
        set(o, path::mob_default, dispatcher_mode && *only == "mob");
    }
    std::size_t n = calls.value_or(quick ? 1000 : 2000);
    o.what.latency_calls = n;
    o.what.latency_warmup = std::max<std::size_t>(n / 10, 50);
    o.what.throughput_calls = 10 * n;
    o.what.throughput_warmup = n;
    o.what.rounds = rounds.value_or(quick ? 1 : 5);
    return o;
}

}  // namespace bench
