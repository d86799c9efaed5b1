#include "mob/detail/socket_monitor.hpp"

#include "mob/error.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>
#include <zmq_addon.hpp>

#include <cstring>

namespace mob::detail {

const char* monitor_event_name(std::uint16_t event) {
    switch (event) {
        case ZMQ_EVENT_CONNECTED:
            return "connected";
        case ZMQ_EVENT_CONNECT_DELAYED:
            return "connect_delayed";
        case ZMQ_EVENT_CONNECT_RETRIED:
            return "connect_retried";
        case ZMQ_EVENT_LISTENING:
            return "listening";
        case ZMQ_EVENT_BIND_FAILED:
            return "bind_failed";
        case ZMQ_EVENT_ACCEPTED:
            return "accepted";
        case ZMQ_EVENT_ACCEPT_FAILED:
            return "accept_failed";
        case ZMQ_EVENT_CLOSED:
            return "closed";
        case ZMQ_EVENT_CLOSE_FAILED:
            return "close_failed";
        case ZMQ_EVENT_DISCONNECTED:
            return "disconnected";
        case ZMQ_EVENT_MONITOR_STOPPED:
            return "monitor_stopped";
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            return "handshake_failed_no_detail";
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            return "handshake_succeeded";
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
            return "handshake_failed_protocol";
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            return "handshake_failed_auth";
        default:
            return "unknown";
    }
}

socket_monitor::socket_monitor(zmq::context_t& context, zmq::socket_ref socket, std::string name)
    : watched_(socket), pair_(context, zmq::socket_type::pair) {
    auto address = "inproc://mob.monitor." + name;
    if (zmq_socket_monitor(socket.handle(), address.c_str(), ZMQ_EVENT_ALL) != 0) {
        throw error(
            fmt::format("cannot monitor the {} socket: {}", name, zmq_strerror(zmq_errno())));
    }
    pair_.set(zmq::sockopt::linger, 0);
    pair_.connect(address);
}

socket_monitor::~socket_monitor() {
    zmq_socket_monitor(watched_.handle(), nullptr, 0);
    pair_.close();
}

std::optional<socket_monitor::event> socket_monitor::next() {
    for (;;) {
        std::vector<zmq::message_t> frames;
        auto got =
            zmq::recv_multipart(pair_, std::back_inserter(frames), zmq::recv_flags::dontwait);
        if (!got)
            return std::nullopt;
        if (frames.size() != 2 || frames[0].size() < 6)
            continue;  // not an event of libzmq 4.3's layout
        std::uint16_t id = 0;
        std::uint32_t value = 0;
        std::memcpy(&id, frames[0].data(), sizeof id);
        std::memcpy(&value, static_cast<const char*>(frames[0].data()) + 2, sizeof value);
        return event{monitor_event_name(id), value,
                     std::string{static_cast<const char*>(frames[1].data()), frames[1].size()}};
    }
}

}  // namespace mob::detail
