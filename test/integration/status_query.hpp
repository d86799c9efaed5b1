// The kingpin's status as mobctl asks for it: one request on its control socket.
#pragma once

#include <mob/control.hpp>
#include <mob/control_request.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace mob::test {

using namespace std::chrono_literals;

/// The kingpin's status, asked on its control socket as mobctl does.
inline std::optional<control::app_status> status_of(const std::string& runtime_dir,
                                                    const std::string& app = "testapp") {
    auto a = control::request(runtime_dir, app, "status", {}, 5s);
    if (!a || !a->ok)
        return std::nullopt;
    return control::from_json<control::app_status>(a->body);
}

}  // namespace mob::test
