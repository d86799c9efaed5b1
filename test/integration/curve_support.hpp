// What the CURVE and configuration tests share: keys made by the real `mobctl keygen`,
// a mob-broker that speaks CURVE on a free port, external workers with or without
// keys, and the kingpin's status read from its control socket as mobctl reads it.
#pragma once

#include <mob/control.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>

#include "child_process.hpp"
#include "key_dir.hpp"
#include "status_query.hpp"

namespace mob::test {

inline const std::regex tcp_listening{"listening on (tcp://[0-9.]+:[0-9]+)"};

/// A mob-broker of app "testapp" on `runtime`, CURVE on a free TCP port with the keys
/// of `keys` (broker key "broker"), and `args` after.
inline std::unique_ptr<child_process> curve_broker(const temp_dir& runtime, const key_dir& keys,
                                                   std::vector<std::string> args) {
    args.insert(args.begin(), {MOB_BROKER, "--app", "testapp", "--runtime-dir", runtime.path(),
                               "--tcp", "tcp://127.0.0.1:0", "--curve-secret",
                               keys.secret("broker"), "--curve-allow", keys.allow()});
    return std::make_unique<child_process>(std::move(args));
}

/// The TCP endpoint a kingpin logged, port 0 resolved ("" if none within 10 s).
inline std::string tcp_endpoint_of(child_process& kingpin) {
    if (!kingpin.wait_for(tcp_listening, 10s))
        return {};
    auto found = kingpin.matches(tcp_listening);
    return found.empty() ? std::string{} : found.back();
}

/// An external worker (test/apps/exec_worker.cpp) of `role` at `endpoint`, with the key
/// pair `secret` if not empty and the broker's public key file; it retries fast.
inline std::unique_ptr<child_process> keyed_worker(const std::string& endpoint,
                                                   const std::string& role,
                                                   const std::string& secret,
                                                   const std::string& server_pub,
                                                   std::map<std::string, std::string> extra = {}) {
    extra["MOB_ENDPOINT"] = endpoint;
    extra["MOB_ROLE"] = role;
    extra.emplace("MOB_RECONNECT_MS", "100");
    extra.emplace("MOB_RECONNECT_MAX_MS", "200");
    if (!secret.empty()) {
        extra["MOB_CURVE_SECRET_FILE"] = secret;
        extra["MOB_CURVE_SERVER_KEY_FILE"] = server_pub;
    }
    return std::make_unique<child_process>(std::vector<std::string>{MOB_EXEC_WORKER, "outside"},
                                           std::move(extra));
}

/// How many refusals of `reason` the kingpin counted (0 if it does not answer).
inline std::uint64_t refused(const std::string& runtime_dir, const std::string& reason) {
    auto s = status_of(runtime_dir);
    if (!s)
        return 0;
    auto it = s->refused.find(reason);
    return it == s->refused.end() ? 0 : it->second;
}

/// Whether a worker of process `pid` is in the kingpin's status.
inline bool known_worker(const std::string& runtime_dir, pid_t pid) {
    auto s = status_of(runtime_dir);
    if (!s)
        return false;
    for (const auto& w : s->workers) {
        if (w.pid == pid)
            return true;
    }
    return false;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in{path};
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

inline bool exited_with(child_process& p, int code, std::chrono::milliseconds timeout = 10s) {
    auto status = p.wait_exit(timeout);
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

}  // namespace mob::test
