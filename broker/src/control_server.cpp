#include "control_server.hpp"

#include "mob/control.hpp"
#include "mob/error.hpp"
#include "mob/log.hpp"
#include "mob/protocol.hpp"

#include <fmt/format.h>
#include <zmq_addon.hpp>

namespace mob::detail {

control_server::control_server(zmq::context_t& context, const std::string& endpoint)
    : socket_(context, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::router_mandatory, true);
    try {
        socket_.bind(endpoint);
    } catch (const zmq::error_t& e) {
        throw error(fmt::format("cannot bind the control socket {}: {}", endpoint, e.what()));
    }
}

void control_server::handle_incoming(const handler& h) {
    for (int i = 0; i < 64; ++i) {
        std::vector<zmq::message_t> f;
        auto got = zmq::recv_multipart(socket_, std::back_inserter(f), zmq::recv_flags::dontwait);
        if (!got)
            return;
        // [id][MOBCTL1][verb][json] from a DEALER; a REQ adds an empty delimiter after the id.
        std::size_t at = (f.size() > 1 && f[1].size() == 0) ? 2 : 1;
        answer a;
        if (f.size() < at + 2 || f.size() > at + 3 || protocol::view(f[at]) != control::header) {
            a = {false, control::to_json(control::outcome{"bad_request", "not a MOBCTL1 request"})};
        } else {
            try {
                a = h(protocol::view(f[at + 1]),
                      f.size() == at + 3 ? protocol::view(f[at + 2]) : "");
            } catch (const std::exception& e) {
                a = {false, control::to_json(control::outcome{"bad_request", e.what()})};
            }
        }
        std::vector<zmq::message_t> out;
        for (std::size_t k = 0; k < at; ++k)
            out.push_back(std::move(f[k]));
        out.emplace_back(control::header.data(), control::header.size());
        std::string_view status = a.ok ? "ok" : "error";
        out.emplace_back(status.data(), status.size());
        out.emplace_back(a.json.data(), a.json.size());
        try {
            for (std::size_t k = 0; k < out.size(); ++k) {
                auto flags = zmq::send_flags::dontwait;
                if (k + 1 < out.size())
                    flags = flags | zmq::send_flags::sndmore;
                if (!socket_.send(out[k], flags))
                    break;  // a client that reads nothing: drop
            }
        } catch (const zmq::error_t& e) {
            log::debug("control answer lost: {}", e.what());  // the client left
        }
    }
}

}  // namespace mob::detail
