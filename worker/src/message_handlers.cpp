// What the I/O thread does with each message from the broker (dispatched by command),
// and the handshake and messaging commands themselves: WELCOME, HELLO_AGAIN, STOP,
// DELIVER (handed to the dispatcher, which runs the topic's handler) and ERROR. The
// calls' commands are in rpc_handlers.cpp.
#include "link_ops.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <fmt/format.h>

#include <utility>

namespace mob::detail {
namespace proto = mob::protocol;

void worker_core::handle(proto::frames& f) {
    auto env = proto::check_envelope(f, /*from_broker=*/true);
    if (!env.ok()) {
        log::warn("dropped a message from the broker: {}", env.reason);
        return;
    }
    // What each command from the broker is handled by (a HEARTBEAT needs nothing: any
    // message counts as one, and connection::receive noted it).
    using handler = void (worker_core::*)(proto::frames&);
    static constexpr std::pair<proto::command, handler> handlers[] = {
        {proto::command::welcome, &worker_core::handle_welcome},
        {proto::command::hello_again, &worker_core::handle_hello_again},
        {proto::command::stop, &worker_core::handle_stop},
        {proto::command::deliver, &worker_core::handle_deliver},
        {proto::command::error, &worker_core::handle_error},
        {proto::command::request, &worker_core::handle_request},
        {proto::command::result, &worker_core::handle_result},
        {proto::command::invoked, &worker_core::handle_invoked},
        {proto::command::released, &worker_core::handle_released},
        {proto::command::lost, &worker_core::handle_lost},
        {proto::command::holder_gone, &worker_core::handle_holder_gone},
    };
    for (const auto& [command, fn] : handlers) {
        if (command == env.cmd) {
            (this->*fn)(f);
            return;
        }
    }
}

void worker_core::handle_stop(proto::frames&) {
    request_stop("the kingpin said STOP");
}

void worker_core::handle_welcome(proto::frames& f) {
    proto::welcome w;
    switch (conn_.on_welcome(f, w)) {
        case connection::welcome_outcome::malformed:
            return;
        case connection::welcome_outcome::wrong_app:
            return request_stop("wrong app");
        case connection::welcome_outcome::welcomed:
            break;
    }
    {
        // Taken after conn_ says welcomed: a waiter either sees it or is woken below.
        std::lock_guard lock{state_mutex_};
        // A later WELCOME (after HELLO_AGAIN) comes from a broker that may not know our
        // predecessor: the first one says why we are here.
        if (first_welcome_)
            last_error_ = std::move(w.last_error);
        first_welcome_ = false;
    }
    state_cv_.notify_all();
}

void worker_core::handle_hello_again(proto::frames&) {
    bool again = conn_.on_hello_again([this] {
        take_work();  // what is queued goes before the HELLO, and is answered
        fail_calls_in_flight(
            fmt::format("the broker at {} no longer knows this worker (it restarted?): the "
                        "call was lost; it may or may not have run",
                        options_.endpoint));
    });
    if (again && ready_sent_)
        send_ready();
}

void worker_core::handle_deliver(proto::frames& f) {
    auto d = proto::parse_deliver(f);
    if (!d) {
        log::warn("dropped a DELIVER with a bad sequence frame");
        return;
    }
    message m;
    m.sender = std::string{d->sender};
    m.seq = d->seq;
    m.topic = std::string{d->topic};
    m.type = std::string{d->type};
    // The payload stays in its frame: a typed handler decodes it from there.
    dispatcher_.post([this, m = std::move(m), payload = std::move(*d->payload)]() mutable {
        dispatch(std::move(m), payload);
    });
}

void worker_core::handle_error(proto::frames& f) {
    auto e = proto::parse_error(f);
    if (conn_.on_error(e)) {
        request_stop("refused by the broker");
        return;
    }
    report_error(send_error{e.seq, e.error.code, std::move(e.error.message)});
}

void worker_core::handle_lost(proto::frames& f) {
    auto n = proto::parse_lost(f);
    if (!n) {
        log::warn("dropped a malformed LOST");
        return;
    }
    // Not about one message (seq 0): how many ERRORs/RESULTs this worker will never see.
    report_error(send_error{0, errc::fates_lost,
                            fmt::format("the broker could not keep {} error(s) or result(s) it "
                                        "owed this worker (it read too slowly): the messages "
                                        "they were about may or may not have been delivered",
                                        *n)});
}

void worker_core::report_error(send_error e) {
    dispatcher_.post([this, e = std::move(e)] {
        std::shared_ptr<std::function<void(const send_error&)>> h;
        {
            std::lock_guard lock{handlers_mutex_};
            h = error_handler_;
        }
        if (!h) {
            log::warn("message {} came back: {}: {}", e.seq, to_string(e.code), e.message);
            return;
        }
        try {
            (*h)(e);
        } catch (const std::exception& ex) {
            log::error("on_error handler threw: {}", ex.what());
        }
    });
}

// ---- the dispatcher thread --------------------------------------------------------

void worker_core::dispatch(message m, const zmq::message_t& payload) {
    std::shared_ptr<typed_handler> typed;
    std::shared_ptr<std::function<void(const message&)>> any;
    {
        std::lock_guard lock{handlers_mutex_};
        if (auto it = handlers_.find(m.topic); it != handlers_.end())
            typed = it->second;
        any = catch_all_;
    }
    const auto on = "topic '" + m.topic + "' on " + id_;
    try {
        if (typed) {
            if (!m.type.empty() && m.type != typed->type) {
                reject(m, errc::bad_type, on + " takes " + typed->type + ", not " + m.type);
                return;
            }
            if (typed->with_payload)
                m.payload = std::string{proto::view(payload)};
            typed->fn(m, proto::bytes(payload));
        } else if (any) {
            m.payload = std::string{proto::view(payload)};  // the raw bytes it shows
            (*any)(m);
        } else {
            log::debug("no handler for topic '{}' from {}: dropped", m.topic, m.sender);
        }
    } catch (const mob::error& e) {
        if (e.code() == errc::bad_type) {
            reject(m, errc::bad_type, on + ": " + e.what());
        } else {
            reject(m, errc::handler_failed,
                   "handler for '" + m.topic + "' on " + id_ + " threw: " + e.what());
        }
    } catch (const std::exception& e) {
        reject(m, errc::handler_failed,
               "handler for '" + m.topic + "' on " + id_ + " threw: " + e.what());
    } catch (...) {
        reject(m, errc::handler_failed,
               "handler for '" + m.topic + "' on " + id_ + " threw a non-standard exception");
    }
}

void worker_core::reject(const message& m, errc code, std::string text) {
    log::warn("{}", text);
    reject_to(m.sender, m.seq, code, std::move(text));
}

void worker_core::reject_to(std::string_view to, std::uint64_t seq, errc code, std::string text) {
    try {
        push_message(*link_, proto::make_reject(to, seq, proto::error_body{code, std::move(text)}));
    } catch (const std::exception& e) {
        log::error("could not report an error to {}: {}", to, e.what());
    }
}

}  // namespace mob::detail
