// A bare DEALER that speaks protocol v1 by hand (or not), for the tests of what the
// broker does with whatever a peer sends: the frames built with mob::protocol's own
// builders, so they are the real ones.
#pragma once

#include <mob/codec.hpp>
#include <mob/protocol.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cluster.hpp"

namespace mob::test {
namespace proto = mob::protocol;

/// A RESULT as it came in: its outcome and body.
struct raw_result {
    std::uint64_t id = 0;
    errc code = errc::ok;
    std::string type;
    std::string body;
};

/// A bare DEALER speaking (or not) protocol v1 by hand.
class raw_peer {
  public:
    explicit raw_peer(const cluster& c,
                      const std::string& routing_id = "raw/1@test#0000000000000001")
        : socket_(context_, zmq::socket_type::dealer) {
        socket_.set(zmq::sockopt::linger, 0);
        socket_.set(zmq::sockopt::routing_id, routing_id);
        socket_.connect(c.endpoint());
    }
    void send(std::vector<std::string> frames) {
        std::vector<zmq::message_t> msgs;
        for (auto& f : frames)
            msgs.emplace_back(f.data(), f.size());
        zmq::send_multipart(socket_, msgs);
    }
    std::vector<zmq::message_t> receive(std::chrono::milliseconds timeout = 3s) {
        std::vector<zmq::message_t> out;
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, timeout) > 0) {
            (void)zmq::recv_multipart(socket_, std::back_inserter(out));
        }
        return out;
    }
    /// The next ERROR (skipping heartbeats), decoded.
    std::optional<std::pair<std::uint64_t, proto::error_body>> next_error() {
        for (int i = 0; i < 10; ++i) {
            auto m = receive();
            if (m.empty())
                return std::nullopt;
            if (m.size() == 3 && proto::command_of(m[0]) == proto::command::error) {
                return std::pair{*proto::parse_seq(proto::view(m[1])),
                                 decode<proto::error_body>(proto::bytes(m[2]))};
            }
        }
        return std::nullopt;
    }
    /// The next message of command `c` (skipping others, such as heartbeats); empty if
    /// none comes.
    std::vector<zmq::message_t> next_of(proto::command c) {
        for (int i = 0; i < 10; ++i) {
            auto m = receive();
            if (m.empty())
                return {};
            if (proto::command_of(m[0]) == c)
                return m;
        }
        return {};
    }
    bool next_is(proto::command c) { return !next_of(c).empty(); }
    /// The next RESULT, decoded (nullopt if none comes, or it is malformed).
    std::optional<raw_result> next_result() {
        auto m = next_of(proto::command::result);
        if (m.size() != 3)
            return std::nullopt;
        auto out = proto::outcome::parse(proto::view(m[1]));
        if (!out)
            return std::nullopt;
        return raw_result{out->id, out->code, std::string{out->type},
                          std::string{proto::view(m[2])}};
    }

  private:
    zmq::context_t context_;
    zmq::socket_t socket_;
};

/// The header frame of `c`: "MOB1" and the command byte.
inline std::string header(proto::command c) {
    return std::string{proto::view(proto::header_frame(c))};
}
/// The frames that started a message before the one header frame: "MOB1" (4 bytes),
/// then the command byte in a frame of its own.
inline std::vector<std::string> old_layout(proto::command c, std::vector<std::string> body) {
    std::vector<std::string> frames{std::string{proto::header},
                                    std::string(1, static_cast<char>(c))};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}

/// A [call head] or [outcome] frame, as the raw peer sends it.
inline std::string text(const zmq::message_t& frame) {
    return std::string{proto::view(frame)};
}
inline std::string call_head(std::uint64_t id, std::string_view role, std::string_view method,
                             std::string_view types, proto::call_options options = {0, 1000}) {
    return text(proto::call_head{id, options, role, method, types}.encode());
}
inline std::string outcome(std::uint64_t ticket, errc code, std::string_view type) {
    return text(proto::outcome{ticket, code, type}.encode());
}

inline std::string hello_body(std::string app, std::string role) {
    proto::hello h;
    h.app = std::move(app);
    h.role = std::move(role);
    h.pid = 1;
    h.host = "test";
    h.nonce = 1;
    return encode(h);
}

}  // namespace mob::test
