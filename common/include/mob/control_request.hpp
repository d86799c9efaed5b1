// One request on a kingpin's control socket (mob/control.hpp), for programs and tests
// that want an answer and nothing more: the benchmarks, the test suite. (mobctl has its
// own client, which also watches the connection to tell a dead kingpin from a slow one.)
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mob::control {

/// The kingpin's answer: "ok" with its JSON body, or "error" with {"code", "message"}.
struct answer {
    bool ok = false;
    std::string body;
};

/// Sends [MOBCTL1][verb][json] to the control socket of `app` under `runtime_dir`
/// (RUNTIME_DIR/APP/control.sock) and waits for the answer; nothing if none came within
/// `timeout` or it was not a control answer.
std::optional<answer> request(const std::string& runtime_dir, const std::string& app,
                              std::string_view verb, std::string_view json = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds{5});

}  // namespace mob::control
