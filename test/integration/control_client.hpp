// Asks a test cluster's kingpin over its control socket, as mobctl does, for tests
// that check the status or drive scale/reload without the mobctl program.
#pragma once

#include <gtest/gtest.h>

#include <mob/control.hpp>

#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "cluster.hpp"

namespace mob::test {

/// The JSON body of the kingpin's "ok" answer to `verb`; "" (and a test failure) if it
/// does not answer within 5 s or refuses.
inline std::string ask(const cluster& c, const std::string& verb, const std::string& json = "") {
    zmq::context_t ctx{1};
    zmq::socket_t s{ctx, zmq::socket_type::dealer};
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::rcvtimeo, 5000);
    s.connect("ipc://" + c.runtime_dir() + "/testapp/" + std::string{control::socket_name});
    std::vector<zmq::message_t> out;
    out.emplace_back(control::header.data(), control::header.size());
    out.emplace_back(verb.data(), verb.size());
    out.emplace_back(json.data(), json.size());
    zmq::send_multipart(s, out);
    std::vector<zmq::message_t> in;
    if (!zmq::recv_multipart(s, std::back_inserter(in))) {
        ADD_FAILURE() << "no answer to " << verb;
        return "";
    }
    if (in.size() != 3 || in[1].to_string() != "ok") {
        ADD_FAILURE() << verb << " was refused: " << (in.size() == 3 ? in[2].to_string() : "");
        return "";
    }
    return in[2].to_string();
}

}  // namespace mob::test
