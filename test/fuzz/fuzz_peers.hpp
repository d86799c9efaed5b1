// The fuzzed broker's peers and what they know: each is a DEALER with a routing id of
// its own, and a ledger of what it sent that the broker must answer and of what came
// back. Everything the broker sends is checked as a worker would receive it (the
// worker's envelope check and views), so a broker that emits a malformed message, a
// RESULT nobody asked for, or a ticket twice is caught here.
#pragma once

#include "mob/protocol.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mob::fuzz {

/// A broken invariant: says which on stderr and aborts, which libFuzzer and ctest both
/// report as a failure of the input.
[[noreturn]] inline void broken(std::string_view what, std::string_view detail = {}) {
    std::fprintf(stderr, "mob broker fuzz: invariant broken: %.*s %.*s\n",
                 static_cast<int>(what.size()), what.data(), static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

struct peer {
    peer(zmq::context_t& ctx, const std::string& endpoint, std::string routing_id)
        : id(std::move(routing_id)) {
        connect(ctx, endpoint);
    }
    void connect(zmq::context_t& ctx, const std::string& endpoint) {
        socket = zmq::socket_t{ctx, zmq::socket_type::dealer};
        socket.set(zmq::sockopt::routing_id, id);
        socket.set(zmq::sockopt::linger, 0);
        socket.connect(endpoint);
    }
    bool connected() const noexcept { return socket.handle() != nullptr; }

    std::string id;
    zmq::socket_t socket;
    /// Tickets of the REQUESTs it holds and has not answered, oldest first.
    std::vector<std::uint64_t> tickets;
    /// RESULTs it got, by call id.
    std::map<std::uint64_t, int> results;
    /// CALLs and SCALEs it sent, by every id an answer to one could carry: no more
    /// RESULTs than these may come back.
    std::map<std::uint64_t, int> answerable;
    /// The ones the broker must answer before it stops: sent while the peer was known,
    /// and it has not been forgotten since (a forgotten caller's calls are dropped).
    std::map<std::uint64_t, int> owed;
};

/// Reads and checks everything waiting for `p`. `tickets_seen`: every ticket of the
/// run so far (the broker never hands out one twice).
inline void collect(peer& p, std::set<std::uint64_t>& tickets_seen) {
    namespace proto = mob::protocol;
    while (p.connected()) {
        proto::frames f;
        if (!zmq::recv_multipart(p.socket, std::back_inserter(f), zmq::recv_flags::dontwait))
            return;
        auto env = proto::check_envelope(f, /*from_broker=*/true);
        if (!env.ok())
            broken("the broker sent a message a worker refuses:", env.reason);
        switch (env.cmd) {
            case proto::command::welcome:
                if (!proto::parse_welcome(f))
                    broken("the broker sent a WELCOME that does not decode");
                break;
            case proto::command::deliver:
                if (!proto::parse_deliver(f))
                    broken("the broker sent a DELIVER that does not parse");
                break;
            case proto::command::error:
                (void)proto::parse_error(f);
                break;
            case proto::command::request: {
                auto req = proto::parse_request(f);
                if (!req)
                    broken("the broker sent a REQUEST that does not parse");
                const auto ticket = req->head.id();
                if (!tickets_seen.insert(ticket).second)
                    broken("the broker handed out a ticket twice");
                p.tickets.push_back(ticket);
                break;
            }
            case proto::command::result: {
                auto r = proto::parse_result(f);
                if (!r.id || !r.result)
                    broken("the broker sent a RESULT whose outcome does not parse");
                if (++p.results[*r.id] > p.answerable[*r.id])
                    broken("more RESULTs than CALLs, SCALEs and STOP_APPs of that id, to", p.id);
                break;
            }
            case proto::command::invoked:
                (void)proto::parse_invoked(f);
                break;
            case proto::command::released:
                (void)proto::parse_released(f);
                break;
            default:  // STOP, HELLO_AGAIN, HEARTBEAT: nothing to read
                break;
        }
    }
}

/// After the broker stopped and failed what it held: every call it owed was answered.
inline void check_paid(const peer& p) {
    for (const auto& [id, n] : p.owed) {
        auto got = p.results.find(id);
        if (got == p.results.end() || got->second < n)
            broken("a CALL or SCALE the broker owed an answer got none, at", p.id);
    }
}

}  // namespace mob::fuzz
