// A broker without processes, for the unit tests of its parts: its ROUTER and the
// workers' DEALERs talk over inproc in one context, and the time is the test's own
// (`now`, moved on by advance()), so a test of deadlines runs in milliseconds. Every
// wait is a zmq poll with a deadline; nothing sleeps. The broker sends on the test's
// own thread, so what it sent is readable at once when handle_incoming() returns.
#pragma once

#include "broker.hpp"
#include "config.hpp"
#include "mob/identity.hpp"
#include "mob/protocol.hpp"

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mob::test {

using namespace std::chrono_literals;
namespace proto = mob::protocol;
using detail::clock;
using proto::command;
using proto::frames;

/// A worker as the broker sees it: a DEALER with a routing id of the test's choosing.
class peer {
  public:
    peer(zmq::context_t& ctx, const std::string& endpoint, std::string id, int rcvhwm = 1000)
        : id_(std::move(id)), socket_(ctx, zmq::socket_type::dealer) {
        socket_.set(zmq::sockopt::routing_id, id_);
        socket_.set(zmq::sockopt::linger, 0);
        socket_.set(zmq::sockopt::rcvhwm, rcvhwm);
        socket_.connect(endpoint);
    }

    const std::string& id() const { return id_; }
    void send(frames f) { zmq::send_multipart(socket_, f); }

    /// The next message within `within`, HEARTBEATs skipped; nullopt if none came.
    std::optional<frames> next(std::chrono::milliseconds within = 0ms) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        for (;;) {
            frames f;
            if (zmq::recv_multipart(socket_, std::back_inserter(f), zmq::recv_flags::dontwait)) {
                if (proto::command_of(f.front()) == command::heartbeat)
                    continue;
                return f;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left < 0ms)
                return std::nullopt;
            zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, left);
        }
    }
    /// The next message, which must be a `c` (HEARTBEATs skipped).
    frames expect(command c) {
        auto f = next(1000ms);
        if (!f) {
            ADD_FAILURE() << id_ << " got nothing, expected " << proto::to_string(c);
            return {};
        }
        auto got = proto::command_of(f->front());
        EXPECT_EQ(got, c) << id_ << " got " << (got ? proto::to_string(*got) : "no command");
        return std::move(*f);
    }
    /// Whether nothing but HEARTBEATs waits for it.
    bool idle() { return !next(0ms).has_value(); }
    /// How many HEARTBEATs wait for it (the rest is read and dropped).
    int heartbeats() {
        int n = 0;
        frames f;
        while (zmq::recv_multipart(socket_, std::back_inserter(f), zmq::recv_flags::dontwait)) {
            n += proto::command_of(f.front()) == command::heartbeat ? 1 : 0;
            f.clear();
        }
        return n;
    }
    void close() { socket_.close(); }

  private:
    std::string id_;
    zmq::socket_t socket_;
};

/// What a test sets before the broker starts.
struct harness_options {
    std::chrono::milliseconds heartbeat{1000};
    std::uint32_t liveness = 3;
    std::size_t max_queued_per_role = 100;
    std::chrono::milliseconds queue_timeout{30000};
    std::size_t max_owed_per_worker = 10000;
    /// The high-water marks of the broker's sends and its peers' receives (an inproc
    /// pipe holds about their sum), small to make a peer that reads late.
    int router_sndhwm = 1000;
    int peer_rcvhwm = 1000;
    /// 2 workers spread over before fast calls are pipelined (not this machine's CPUs,
    /// so that tests do not depend on them).
    dispatch_policy dispatch{2, std::chrono::microseconds{250}};
};

/// The broker of app "app": role "back" (2 to 4 workers) and role "front" (1).
class broker_harness {
  public:
    explicit broker_harness(harness_options o = {})
        : peer_rcvhwm_(o.peer_rcvhwm),
          config_(make_config(o)),
          roles_(config_.roles),
          router_(ctx_, zmq::socket_type::router),
          endpoint_("inproc://broker-" + std::to_string(next_endpoint()++)) {
        router_.set(zmq::sockopt::router_mandatory, true);
        router_.set(zmq::sockopt::sndhwm, o.router_sndhwm);  // before bind: inproc takes it then
        router_.set(zmq::sockopt::linger, 0);
        router_.bind(endpoint_);
        detail::broker::hooks h;
        h.is_local_child = [this](std::int64_t pid) { return local_pids.count(pid) != 0; };
        h.on_ready = [this](const detail::worker_entry& w) { ready.push_back(w.id); };
        h.on_gone = [this](const detail::worker_entry& w, std::string_view why) {
            gone.emplace_back(w.id, std::string{why});
        };
        broker_.emplace(router_, config_, roles_, std::move(h), now);
    }

    detail::broker& broker() { return *broker_; }
    detail::role_table& roles() { return roles_; }
    zmq::socket_t& router() { return router_; }
    const detail::worker_entry* find(const std::string& id) const {
        return broker_->workers().find(std::string_view{id});
    }

    /// Handles what the broker's socket has (waiting up to a second for the first).
    void pump() {
        zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, 1000ms);
        broker_->handle_incoming(now);
    }
    /// Moves the test's time on and lets the broker's timers run.
    void advance(std::chrono::milliseconds d) {
        now += d;
        broker_->tick(now);
    }

    /// A peer that has said nothing yet.
    peer stranger(const std::string& id) { return peer{ctx_, endpoint_, id, peer_rcvhwm_}; }

    /// A worker of `role` that said hello (and READY, unless `ready_too` is false).
    peer join(const std::string& id, const std::string& role, std::uint32_t credit = 1,
              bool ready_too = true, std::int64_t pid = 0) {
        peer p{ctx_, endpoint_, id, peer_rcvhwm_};
        proto::hello h;
        h.app = "app";
        h.role = role;
        h.pid = pid != 0 ? pid : next_pid_++;
        h.host = mob::local_hostname();
        h.spawned = local_pids.count(h.pid) != 0;
        h.credit = credit;
        p.send(proto::make_hello(h));
        pump();
        p.expect(command::welcome);
        if (ready_too)
            say_ready(p, credit);
        return p;
    }
    void say_ready(peer& p, std::uint32_t credit = 1) {
        p.send(proto::make_ready(proto::ready{credit, {"add", "ping"}}));
        pump();
    }

    /// A CALL of back.`method` from `from`, handled.
    void call(peer& from, std::uint64_t id, std::uint8_t flags = 0, std::uint32_t timeout_ms = 0,
              std::string_view method = "add") {
        from.send(proto::make_call(proto::call_head{id, {flags, timeout_ms}, "back", method, "ii"},
                                   proto::text_frame("args")));
        pump();
    }
    /// The ticket of the REQUEST `p` must have got.
    std::uint64_t request_at(peer& p) {
        auto f = p.expect(command::request);
        if (f.empty())
            return 0;
        auto req = proto::parse_request(std::span{f});
        return req ? req->head.id() : 0;
    }
    /// `p` answers the REQUEST `ticket` with "42".
    void reply(peer& p, std::uint64_t ticket, errc code = errc::ok) {
        p.send(proto::make_reply(proto::outcome{ticket, code, "int"}, proto::text_frame("42")));
        pump();
    }
    /// A SEND from `from` to `to`, handled.
    void send(peer& from, std::uint64_t seq, const proto::target& to) {
        from.send(proto::make_send(seq, to, "topic", "text", proto::text_frame("hi")));
        pump();
    }

    /// The RESULT `p` must have got: its call id, code and body.
    struct result {
        std::uint64_t id = 0;
        errc code = errc::ok;
        std::string body;
    };
    static result result_at(peer& p) {
        auto f = p.expect(command::result);
        if (f.empty())
            return {};
        auto r = proto::parse_result(std::span{f});
        return {r.id.value_or(0), r.result ? r.result->code : errc::bad_frame,
                std::string{proto::view(*r.body)}};
    }
    /// Checks that the next thing `p` got is the RESULT `id` with `code` and `body`.
    static void expect_result(peer& p, std::uint64_t id, errc code, std::string_view body) {
        auto r = result_at(p);
        EXPECT_EQ(r.id, id);
        EXPECT_EQ(r.code, code);
        EXPECT_EQ(r.body, body);
    }
    /// The ERROR `p` must have got.
    static proto::error_view error_at(peer& p) {
        auto f = p.expect(command::error);
        if (f.empty())
            return {};
        return proto::parse_error(std::span{f});
    }

    /// Closes `p` and waits (up to five seconds) until the broker's socket can no longer
    /// reach it: a send to it then fails as it would for a worker that vanished. (libzmq
    /// ends the pipe in another thread, and only once the ROUTER has read what it holds.)
    void vanish(peer& p) {
        p.close();
        const auto deadline = std::chrono::steady_clock::now() + 5000ms;
        while (std::chrono::steady_clock::now() < deadline) {
            try {
                if (router_.send(zmq::buffer(p.id()),
                                 zmq::send_flags::sndmore | zmq::send_flags::dontwait))
                    (void)router_.send(zmq::message_t{}, zmq::send_flags::dontwait);
            } catch (const zmq::error_t& e) {
                if (e.num() == EHOSTUNREACH)
                    return;
                throw;
            }
            zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, 1ms) > 0)
                broker_->handle_incoming(now);
        }
        ADD_FAILURE() << p.id() << " still reachable five seconds after it closed";
    }

    clock::time_point now = clock::now();
    std::set<std::int64_t> local_pids;
    std::vector<std::string> ready;
    std::vector<std::pair<std::string, std::string>> gone;  ///< id, why

  private:
    static detail::kingpin_config make_config(const harness_options& o) {
        detail::kingpin_config c;
        c.app = "app";
        c.heartbeat = o.heartbeat;
        c.liveness = o.liveness;
        c.max_queued_per_role = o.max_queued_per_role;
        c.queue_timeout = o.queue_timeout;
        c.max_owed_per_worker = o.max_owed_per_worker;
        c.dispatch = o.dispatch;
        role_spec back;
        back.name = "back";
        back.min = 2;
        back.max = 4;
        role_spec front;
        front.name = "front";
        c.roles = {back, front};
        return c;
    }
    static std::atomic<int>& next_endpoint() {
        static std::atomic<int> n{0};
        return n;
    }

    int peer_rcvhwm_;
    zmq::context_t ctx_{1};
    detail::kingpin_config config_;
    detail::role_table roles_;
    zmq::socket_t router_;
    std::string endpoint_;
    std::int64_t next_pid_ = 1000;
    std::optional<detail::broker> broker_;
};

}  // namespace mob::test
