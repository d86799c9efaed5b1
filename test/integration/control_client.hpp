// Asks a test cluster's kingpin over its control socket, as mobctl does, for tests
// that check the status or drive scale/reload without the mobctl program.
#pragma once

#include <gtest/gtest.h>

#include <mob/control.hpp>
#include <mob/control_request.hpp>

#include <chrono>
#include <string>

#include "cluster.hpp"

namespace mob::test {

/// The JSON body of the kingpin's "ok" answer to `verb`; "" (and a test failure) if it
/// does not answer within 5 s or refuses.
inline std::string ask(const cluster& c, const std::string& verb, const std::string& json = "") {
    auto a = control::request(c.runtime_dir(), "testapp", verb, json, std::chrono::seconds{5});
    if (!a) {
        ADD_FAILURE() << "no answer to " << verb;
        return "";
    }
    if (!a->ok) {
        ADD_FAILURE() << verb << " was refused: " << a->body;
        return "";
    }
    return a->body;
}

}  // namespace mob::test
