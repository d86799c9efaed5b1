// One fuzz input against a fresh broker, as broker_harness.hpp drives it in the unit
// tests: its ROUTER and four peers' DEALERs over inproc, the clock the input's own. Each
// operation of the input (fuzz_input.hpp) is a message from a peer, arbitrary frames or
// built from fields the input picks from small sets (so the fuzzer reaches deep states
// without guessing names, ids or tickets), or a kingpin event. Every message a peer
// sends is also given to every view of the protocol module, on both sides' terms.
//
// Invariants, checked as the input runs and once it ends (fuzz_peers.hpp for what the
// peers receive): no crash and no undefined behaviour (the fuzz build has ASan and
// UBSan); every message sent is received and counted; each worker's in-flight count is
// the REQUESTs it holds unanswered; each role's ready count is its ready workers; the
// broker only sends what a worker's checks accept, never a ticket twice, never more
// RESULTs than calls; and once it stopped, every call it owed an answer got one.
#include "broker_fuzz.hpp"

#include "broker.hpp"
#include "config.hpp"
#include "fuzz_input.hpp"
#include "fuzz_messages.hpp"
#include "fuzz_peers.hpp"
#include "fuzz_views.hpp"
#include "mob/codec.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"

#include <zmq_addon.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace mob::fuzz {
namespace {

namespace proto = mob::protocol;
using namespace std::chrono_literals;
using detail::clock;
using proto::command;

detail::kingpin_config make_config() {
    detail::kingpin_config c;
    c.app = "app";
    c.heartbeat = 1000ms;
    c.liveness = 3;
    c.max_queued_per_role = 4;  // small, so a few calls fill a queue
    c.queue_timeout = 2000ms;
    role_spec back;
    back.name = "back";
    back.min = 2;
    back.max = 4;
    role_spec front;
    front.name = "front";
    c.roles = {back, front};
    return c;
}

/// One ZeroMQ context for every input: contexts start threads, inputs are many.
zmq::context_t& context() {
    static auto* ctx = [] {
        log::set_threshold(log::level::off);  // the broker's warnings would flood the fuzzer
        return new zmq::context_t{1};
    }();
    return *ctx;
}

class session {
  public:
    session()
        : config_(make_config()),
          roles_(config_.roles),
          router_(context(), zmq::socket_type::router),
          endpoint_("inproc://fuzz-broker-" + std::to_string(next_endpoint_++)),
          host_(local_hostname()) {
        router_.set(zmq::sockopt::router_mandatory, true);
        router_.set(zmq::sockopt::linger, 0);
        router_.bind(endpoint_);
        for (std::size_t i = 0; i < peer_count; ++i) {
            auto id = i == 3 ? std::string{"x"}
                             : fmt::format("{}/{}@{}#{:016x}", i == 2 ? "front" : "back", pids[i],
                                           host_, i);
            ids_.push_back(id);
            peers_.push_back(std::make_unique<peer>(context(), endpoint_, std::move(id)));
        }
        detail::broker::hooks h;
        h.is_local_child = [](std::int64_t pid) { return pid == 101 || pid == 102; };
        h.on_gone = [this](const detail::worker_entry& w, std::string_view) {
            if (auto* p = peer_of(w.id)) {
                p->tickets.clear();
                p->owed.clear();
            }
        };
        h.on_scale = [this](const std::string& role, std::int32_t delta) {
            detail::scale_answer a;
            if (delta == 0) {
                a.code = errc::unknown_role;
                a.text = "no change";
                return a;
            }
            if (delta < 0)
                (void)broker_->stop_worker(101);  // as the supervisor stops its newest
            a.result = scale_result{role, 0, 4, 1, 1, false};
            return a;
        };
        h.last_error = [](std::int64_t pid) -> std::optional<crash_report> {
            if (pid != 101)
                return std::nullopt;
            crash_report r;
            r.role = "back";
            r.pid = 99;
            r.exit_code = 1;
            return r;
        };
        broker_.emplace(router_, config_, roles_, std::move(h), now_);
    }

    void run(input& in) {
        // Bounded, so one input stays quick whatever its length.
        for (int steps = 0; steps < 256 && !in.done(); ++steps)
            step(in);
        check();
        if (!stopped_)
            broker_->stop_all();
        collect_all();
        // Stopped: nothing waits in a queue any more (what waited was failed to its sender).
        control::app_status s;
        roles_.describe(s);
        broker_->describe(s, now_);
        for (const auto& r : s.roles) {
            if (r.queued_calls != 0 || r.queued_messages != 0)
                broken("calls or messages still queued once the broker stopped, role", r.name);
        }
        broker_->shutdown();
        collect_all();
        for (const auto& p : peers_)
            check_paid(*p);
        if (std::getenv("MOB_FUZZ_VERBOSE") != nullptr)
            summary();
    }

  private:
    peer* peer_of(std::string_view id) {
        for (auto& p : peers_) {
            if (p->id == id)
                return p.get();
        }
        return nullptr;
    }
    peer& pick_peer(input& in) { return *peers_[in.byte() % peer_count]; }
    std::int64_t pick_pid(input& in) { return pids[in.byte() % pids.size()]; }

    void step(input& in) {
        const auto o = static_cast<op>(in.byte() % static_cast<std::uint8_t>(op::count_));
        switch (o) {
            case op::raw: {
                // One byte for both: the peer (low 2 bits) and how the header is made.
                const auto b = in.byte();
                return send(*peers_[b % peer_count], raw_message(b, in));
            }
            case op::hello:
            case op::ready:
            case op::call:
            case op::reply:
            case op::send:
            case op::invoke:
            case op::release:
            case op::reject:
            case op::scale:
            case op::signal: {
                auto& p = pick_peer(in);
                return send(p, message_from(o, in, {ids_, host_, p.tickets}));
            }
            case op::advance: {
                // 0: to the broker's next deadline, as the kingpin's loop sleeps; else steps
                // of 25 ms (liveness ends after 3 s of silence).
                const auto b = in.byte();
                const auto next = broker_->next_deadline();
                if (b == 0 && next != clock::time_point::max() && next > now_)
                    now_ = next;
                else
                    now_ += std::chrono::milliseconds{b * 25};
                broker_->tick(now_);
                return collect_all();
            }
            case op::exited:
                broker_->process_exited(pick_pid(in), (in.byte() & 1) != 0, now_);
                return collect_all();
            case op::stop_worker:
                (void)broker_->stop_worker(pick_pid(in));
                return collect_all();
            case op::stop_all:
                if (!stopped_) {
                    stopped_ = true;
                    broker_->stop_all();
                }
                return collect_all();
            case op::check:
                return check();
            case op::vanish:
                return vanish(pick_peer(in));
            case op::count_:
                break;
        }
    }

    /// Waits up to `ms` for the ROUTER to have something (libzmq handles its pipes' events
    /// meanwhile). A signal (libFuzzer's timer) may cut the wait short: that is no error.
    void wait_for_router(std::chrono::milliseconds ms) {
        zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
        try {
            zmq::poll(&item, 1, ms);
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR)
                throw;
        }
    }

    /// Closes `p`'s socket and waits until the broker's can no longer reach it (libzmq
    /// ends the pipe in another thread), so a send to it fails as it would for a worker
    /// that vanished, whatever the timing. The peer stays gone: a DEALER that connects
    /// again under the same routing id is ignored by the ROUTER for as long as the old
    /// pipe lingers there (no ZMQ_ROUTER_HANDOVER), which no input could time.
    void vanish(peer& p) {
        if (!p.connected())
            return;
        p.socket.close();
        p.owed.clear();  // whatever the broker still owes it can no longer reach it
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        for (;;) {
            try {
                auto beat = proto::make_signal(command::heartbeat);
                if (router_.send(zmq::buffer(p.id),
                                 zmq::send_flags::sndmore | zmq::send_flags::dontwait))
                    (void)router_.send(beat.front(), zmq::send_flags::dontwait);
            } catch (const zmq::error_t& e) {
                if (e.num() != EHOSTUNREACH)
                    throw;
                break;
            }
            if (std::chrono::steady_clock::now() > deadline)
                broken("a closed peer stays reachable:", p.id);
            wait_for_router(1ms);
        }
    }

    /// Sends `f` from `p`, notes what the broker will owe for it, and has it handled.
    void send(peer& p, proto::frames f) {
        if (!p.connected())
            return;  // it has vanished: it says nothing until it connects again
        proto::frames copy;
        for (auto& m : f)
            copy.emplace_back().copy(m);
        expect(p, copy);
        read_as_either_side(std::move(copy));
        zmq::send_multipart(p.socket, f);
        ++sent_;
        const auto deadline = std::chrono::steady_clock::now() + 2s;
        while (broker_->stats().received < sent_) {
            if (std::chrono::steady_clock::now() > deadline)
                broken("a message sent was never received by the broker");
            wait_for_router(10ms);
            broker_->handle_incoming(now_);
        }
        collect_all();
    }

    /// What the broker will owe `p` for `msg`, noted before it is sent.
    void expect(peer& p, const proto::frames& msg) {
        auto env = proto::check_envelope(msg, /*from_broker=*/false);
        const auto cmd = proto::command_of(msg.front());
        if (cmd != command::call && cmd != command::scale && cmd != command::stop_app &&
            cmd != command::reply)
            return;
        const auto* known = broker_->workers().find(std::string_view{p.id});
        const bool owed = env.ok() && known != nullptr && known->alive();
        if (cmd == command::reply) {
            // A REPLY the broker takes: a known worker's, for a ticket it holds.
            if (!env.ok() || known == nullptr)
                return;
            auto id = proto::leading_id(proto::view(msg[1]));
            auto it = std::find(p.tickets.begin(), p.tickets.end(), id.value_or(0));
            if (id && it != p.tickets.end())
                p.tickets.erase(it);
            return;
        }
        // Every id an answer could carry (the first 8 bytes of the first body frame, or
        // 0; a SCALE whose call frame is not 8 bytes is answered under 0).
        const std::uint64_t leading =
            msg.size() > 1 ? proto::leading_id(proto::view(msg[1])).value_or(0) : 0;
        const std::uint64_t exact =
            msg.size() > 1 ? proto::parse_seq(proto::view(msg[1])).value_or(0) : 0;
        ++p.answerable[leading];
        if (leading != 0)
            ++p.answerable[0];
        // STOP_APP is answered with a RESULT under its call id too; whether it is owed
        // one depends on the kingpin's hooks (a local child only), so only counted here.
        if (!owed || cmd == command::stop_app)
            return;
        if (cmd == command::scale) {
            ++p.owed[exact];
            return;
        }
        auto head = proto::call_head::parse(proto::view(msg[1]));
        if (head && (head->options.flags & proto::call_oneway) != 0)
            return;  // answered only if it fails
        ++p.owed[leading];
    }

    void collect_all() {
        for (auto& p : peers_)
            collect(*p, tickets_seen_);
    }

    void check() {
        if (broker_->stats().received != sent_)
            broken("the broker's received count is not the messages sent");
        std::vector<std::uint32_t> ready(roles_.size(), 0);
        broker_->workers().for_each([&](const detail::worker_entry& w) {
            if (w.state == detail::worker_state::ready)
                ++ready[w.role];
            auto* p = peer_of(w.id);
            if (p == nullptr)
                broken("the broker knows a worker no peer is:", w.id);
            if (w.in_flight != p->tickets.size())
                broken("a worker's in-flight count is not the REQUESTs it holds:", w.id);
            if (!w.alive())
                broken("a worker marked gone was not forgotten:", w.id);
        });
        for (detail::role_index r = 0; r < roles_.size(); ++r) {
            if (broker_->ready_count(r) != ready[r])
                broken("a role's ready count is not its ready workers");
        }
        control::app_status s;
        roles_.describe(s);
        broker_->describe(s, now_);
        if (s.workers.size() != broker_->workers().size())
            broken("status does not list every worker");
        // What the supervisor asks between messages: it must hold whatever came before.
        for (const auto& r : s.roles)
            (void)broker_->role_full(r.name);
        (void)std::tuple{broker_->all_full(), broker_->lingering(), broker_->knows_pid(101),
                         broker_->maybe_unsignalled(), broker_->next_deadline()};
    }

    /// What the input did, for someone writing a seed (MOB_FUZZ_VERBOSE=1).
    void summary() const {
        const auto& st = broker_->stats();
        std::fprintf(stderr, "  sent %llu, routed %llu, errors %llu, tickets %zu, dropped:",
                     static_cast<unsigned long long>(sent_),
                     static_cast<unsigned long long>(st.routed),
                     static_cast<unsigned long long>(st.errors_sent), tickets_seen_.size());
        for (const auto& [why, n] : st.dropped)
            std::fprintf(stderr, " %s=%llu", why.c_str(), static_cast<unsigned long long>(n));
        for (const auto& p : peers_) {
            int results = 0;
            for (const auto& [id, n] : p->results)
                results += n;
            std::fprintf(stderr, "; %s: %d results", p->id.c_str(), results);
        }
        std::fprintf(stderr, "\n");
    }

    static inline int next_endpoint_ = 0;

    detail::kingpin_config config_;
    detail::role_table roles_;
    zmq::socket_t router_;
    std::string endpoint_;
    std::string host_;
    std::vector<std::string> ids_;              ///< the peers' routing ids, by index
    std::vector<std::unique_ptr<peer>> peers_;  // before the broker: its hooks read them
    clock::time_point now_ = clock::time_point{} + 24h;
    std::optional<detail::broker> broker_;
    std::uint64_t sent_ = 0;
    std::set<std::uint64_t> tickets_seen_;
    bool stopped_ = false;
};

}  // namespace

void run_broker_input(std::span<const std::uint8_t> data) {
    (void)context();
    input in{data};
    session s;
    s.run(in);
}

}  // namespace mob::fuzz
