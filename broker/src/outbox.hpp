// The one place the broker writes to its ROUTER: every message goes out without
// blocking (router_mandatory is on, so a gone peer fails with EHOSTUNREACH and a full
// one would block), and what came of it is a send_result the caller acts on. It also
// keeps the broker's counters, which every part adds to.
#pragma once

#include "broker_types.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mob::detail {

enum class send_result { sent, unreachable, full };

struct broker_stats {
    std::uint64_t received = 0;
    std::uint64_t routed = 0;
    std::uint64_t errors_sent = 0;
    std::map<std::string, std::uint64_t> dropped;  ///< by reason
};

class outbox {
  public:
    explicit outbox(zmq::socket_ref socket) : socket_(socket) {}

    /// Sends `body` to the peer `id`. The frames are taken only when sent: a full or
    /// unreachable peer leaves them as they were.
    send_result send(std::string_view id, frames& body);
    /// ERROR [seq][error] to `id` (counted in errors_sent when it goes out).
    send_result send_error(std::string_view id, std::uint64_t seq, errc code, std::string text);
    /// A RESULT with no value (a call failed here) to `id`, counted as an error sent.
    send_result send_failed_result(std::string_view id, std::uint64_t call_id, errc code,
                                   std::string_view text);
    /// Counts a message not handled under `reason` (and logs the first few of a kind).
    void drop(std::string_view from, std::string_view reason, std::string_view detail);

    /// Messages the socket was given, ever (a send may take in what the socket's
    /// descriptor then will not signal: the loop asks the socket after any).
    std::uint64_t sends() const noexcept { return sends_; }
    zmq::socket_ref socket() const noexcept { return socket_; }
    broker_stats& stats() noexcept { return stats_; }
    const broker_stats& stats() const noexcept { return stats_; }

  private:
    zmq::socket_ref socket_;
    std::uint64_t sends_ = 0;
    broker_stats stats_;
};

}  // namespace mob::detail
