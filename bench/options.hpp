// mob-rpc-bench's command line: what to measure, how much, and where the baselines are.
#pragma once

#include "measure.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// How the floor's and mob's hops are carried: unix sockets (ipc://), or TCP on
/// 127.0.0.1 (mob's echo workers then join as external workers, the way workers on
/// other machines do). node's mob has its own IPC; NATS is TCP either way.
enum class transport { ipc, tcp };
const char* transport_name(transport t);

/// The paths a run can measure, in the order of the table's rows.
/// mob_default is the plain API with the role's default credit (the headline row:
/// what a user gets without tuning), mob_plain the same with --credit.
enum class path : std::size_t { floor, node_mob, nats, mob_default, mob_plain, mob_inline };
inline constexpr std::size_t path_count = 6;

struct options {
    plan what;
    /// Which paths are measured: mob's and the floor unless --only; a baseline when
    /// its program is named.
    std::array<bool, path_count> measured{true, false, false, true, true, true};
    std::uint32_t credit = 64;  ///< per worker, for the windowed runs (mob and the floor)
    std::string node_mob_dir;   ///< holds main.js and node_modules/mob
    std::string node = "node";
    std::string nats_client;  ///< bench/baselines/nats built
    std::string nats_server = "nats-server";
    std::vector<transport> transports{transport::ipc};
    /// The windows of the throughput runs (window 1 is the latency run).
    std::vector<std::size_t> windows{64, 256};
    std::string data_dir;  ///< --data: the plots' data files go there (bench/plots.sh)
    bool latency = true;   ///< false: --no-latency, the windows alone (to profile them)

    bool on(path p) const { return measured[static_cast<std::size_t>(p)]; }
};

/// Throws std::invalid_argument on a bad command line; exits after --help.
options parse_options(int argc, char** argv);
void usage();

}  // namespace bench
