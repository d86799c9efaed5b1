// The kingpin's ZAP handler (RFC 27): libzmq asks it, over inproc://zeromq.zap.01 in the
// kingpin's context, whether a peer that completed a CURVE handshake on the TCP endpoint
// may in. It answers 200 with the key's name as user id for a key in the allow-list and
// 400 for any other, counting and logging the refusal. Its REP socket is polled in the
// kingpin's one loop like the others: no thread of its own, so nothing shares a socket.
//
// It must be bound before the TCP endpoint accepts: with no handler bound, libzmq
// admits every CURVE client (docs/security.md).
#pragma once

#include "broker_types.hpp"
#include "curve_allow_list.hpp"
#include "refusal_log.hpp"

#include <zmq.hpp>

#include <string>

namespace mob::detail {

class zap_handler {
  public:
    /// The ZAP domain the TCP endpoint is bound with (a request of another is refused).
    static constexpr const char* domain = "mob";

    zap_handler(zmq::context_t& context, curve_allow_list& keys, refusal_log& refusals);
    zap_handler(const zap_handler&) = delete;
    zap_handler& operator=(const zap_handler&) = delete;

    zmq::socket_ref socket() noexcept { return socket_; }
    /// Answers every request waiting (never blocks).
    void handle_incoming(clock::time_point now);
    /// Requests answered, admitted and refused so far.
    std::uint64_t admitted() const noexcept { return admitted_; }

  private:
    void answer(frames& request, clock::time_point now);

    curve_allow_list& keys_;
    refusal_log& refusals_;
    zmq::socket_t socket_;
    std::uint64_t admitted_ = 0;
};

}  // namespace mob::detail
