// What the kingpin's parts share: the app's checked roles and its tunables.
#pragma once

#include "mob/app.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mob::detail {

/// "permanent", "transient", "temporary"; null for a value that is none of them.
const char* restart_policy_name(restart_policy p);

struct kingpin_config {
    std::string app;
    std::vector<role_spec> roles;
    std::filesystem::path runtime_root;
    std::filesystem::path base;
    std::vector<std::string> argv;  ///< the program's original argv, for re-exec
    std::chrono::milliseconds heartbeat{1000};
    std::uint32_t liveness = 3;
    std::chrono::milliseconds kill_timeout{5000};
    std::size_t max_queued_per_role = 10000;
    std::size_t max_owed_per_worker = 10000;  ///< ERRORs/RESULTs kept for a full pipe
    std::chrono::milliseconds queue_timeout{30000};
    broker_limits limits;
    dispatch_policy dispatch;
    std::filesystem::path env_file;  ///< KEY=VALUE lines for the workers (empty: none)
    std::function<void()> on_full;   ///< app::on_full, may be empty
    std::function<void(const death_info&)> on_death;  ///< app::on_death, may be empty
    std::string tcp_endpoint;   ///< also bound by the broker when not empty (external workers)
    bool tcp_insecure = false;  ///< NULL mechanism on it, asked for explicitly
    curve_server curve;         ///< its CURVE keys, unless insecure
    bool reload_same_binary = false;  ///< app::reload_same_binary: SIGHUP keeps the image
    log_options logs;                 ///< app::logs, before the environment's overrides
    bool fork_server = true;          ///< app::fork_server, after MOB_FORK_SERVER
};

}  // namespace mob::detail
