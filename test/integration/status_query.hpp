// The kingpin's status as mobctl asks for it: one request on its control socket.
#pragma once

#include <mob/control.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace mob::test {

using namespace std::chrono_literals;

/// The kingpin's status, asked on its control socket as mobctl does.
inline std::optional<control::app_status> status_of(const std::string& runtime_dir,
                                                    const std::string& app = "testapp") {
    zmq::context_t ctx;
    zmq::socket_t s{ctx, zmq::socket_type::dealer};
    s.set(zmq::sockopt::linger, 0);
    s.connect(fmt::format("ipc://{}/{}/control.sock", runtime_dir, app));
    s.send(zmq::str_buffer("MOBCTL1"), zmq::send_flags::sndmore);
    s.send(zmq::str_buffer("status"), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 5s) == 0)
        return std::nullopt;
    std::vector<zmq::message_t> answer;
    (void)zmq::recv_multipart(s, std::back_inserter(answer));
    if (answer.size() != 3 || answer[1].to_string() != "ok")
        return std::nullopt;
    return control::from_json<control::app_status>(answer[2].to_string_view());
}

}  // namespace mob::test
