// mob-broker's command line and config file, parsed into settings: one option per
// line in the file, the same names as the command line without the dashes.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mob::broker_tool {

/// A bad command line or config file: exit code 2 with this message.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct role_setting {
    std::string name;
    std::uint32_t count = 0;
    std::vector<std::string> keys;  ///< --role-keys: the CURVE key names it admits
};

struct settings {
    std::string app;
    std::string tcp;
    bool insecure = false;     ///< --insecure: NULL mechanism on the TCP endpoint
    std::string curve_secret;  ///< --curve-secret: the broker's NAME.secret
    std::string curve_allow;   ///< --curve-allow: the directory of admitted NAME.pub files
    std::uint32_t handshake_ms = 0;
    std::string runtime_dir;
    std::uint32_t heartbeat_ms = 0;
    /// Bounds (docs/limits.md); 0: the default.
    std::uint32_t max_message_bytes = 0;
    std::uint32_t max_credit = 0;
    std::uint32_t max_queued = 0;
    std::uint32_t queue_timeout_ms = 0;
    std::uint32_t max_owed = 0;
    /// Dispatch (mob::dispatch_policy); 0: the default.
    std::uint32_t spread_workers = 0;
    std::uint32_t fast_call_us = 0;
    std::optional<std::uint32_t> slow_call_depth;  ///< unset: the default (0 is a value)
    std::vector<role_setting> roles;
    bool help = false;
    bool version = false;
};

/// Throws usage_error.
settings parse(int argc, char** argv);

}  // namespace mob::broker_tool
