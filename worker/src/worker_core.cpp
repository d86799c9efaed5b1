// The engine's public side: construction and shutdown, and what mob::worker's members
// do from any thread. Nothing here touches the socket or the I/O thread's tables:
// everything for them goes through link_ops.hpp (the outbox, or the direct path).
#include "worker_core.hpp"

#include "link_ops.hpp"
#include "mob/endpoint.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"

#include <unistd.h>

namespace mob::detail {
namespace proto = mob::protocol;

namespace {
proto::hello hello_of(const worker_options& o, std::int64_t pid, const std::string& host,
                      std::uint64_t nonce) {
    proto::hello h;
    h.app = o.app;
    h.role = o.role;
    h.pid = pid;
    h.host = host;
    h.nonce = nonce;
    h.spawned = o.spawned;
    h.credit = o.credit;
    return h;
}

worker_options checked(worker_options o) {
    if (o.endpoint.empty())
        throw error("worker: no broker endpoint given");
    if (!valid_role_name(o.role))
        throw error("worker: role name '" + o.role + "' is not [A-Za-z0-9_.-]+");
    if (o.max_outgoing == 0 || o.max_pending_calls == 0 || o.max_callbacks == 0)
        throw error("worker: max_outgoing, max_pending_calls and max_callbacks must be at least 1");
    if (o.max_message_size < (64u << 10))
        throw error("worker: max_message_size must be at least 64 KiB");
    if (o.endpoint.starts_with("tcp://"))
        check_tcp_endpoint(o.endpoint, endpoint_use::connect, "worker: broker endpoint");
    return o;
}

void drop_string(void*, void* hint) {
    delete static_cast<std::string*>(hint);
}

/// The frame of a payload: a large one handed over (the frame owns the string), a small
/// one copied (cheaper than the allocation that handing over takes).
zmq::message_t frame_of(std::string&& payload) {
    if (payload.size() < 1024)
        return zmq::message_t{payload.data(), payload.size()};
    auto* owned = new std::string(std::move(payload));
    return zmq::message_t{owned->data(), owned->size(), &drop_string, owned};
}
}  // namespace

worker_core::worker_core(worker_options options)
    : options_(checked(std::move(options))),
      pid_(::getpid()),
      host_(local_hostname()),
      nonce_(random_nonce()),
      id_(make_routing_id(options_.role, pid_, host_, nonce_)),
      parent_pid_(::getppid()),
      link_(std::make_shared<core_link>(
          id_, options_.role, options_.call_timeout,
          core_link::bounds{options_.max_outgoing, options_.max_pending_calls,
                            options_.max_callbacks, options_.max_message_size})),
      context_(1),
      conn_(context_, options_, id_, hello_of(options_, pid_, host_, nonce_)),
      calls_(
          [this](const std::shared_ptr<call_state>& s, raw_result r) { complete(s, std::move(r)); },
          [this](const std::vector<std::uint64_t>& ids) { callbacks_.forget(ids); },
          link_->pending_calls),
      callbacks_(link_->pending_callbacks) {
    io_thread_ = std::thread([this] { io_loop(); });
}

worker_core::~worker_core() {
    // Finish the calls and messages already here while the I/O thread still sends their
    // replies (and run the shutdown hook if the worker was told to stop); then flush and
    // say goodbye.
    if (stopping_)
        finish();
    dispatcher_.stop();
    // From here on, callbacks and replies the application still holds find no worker;
    // every push accepted before stays counted in the outbox until it is taken out.
    link_->box.close();
    io_stop_ = true;
    link_->box.wake();
    if (io_thread_.joinable())
        io_thread_.join();
    conn_.close();
    context_.close();
    // Calls still waiting learn that they will get no answer (an inline result handler
    // runs here: no I/O thread is left), as do any the socket would not take at the end.
    while (link_->box.has_work()) {
        auto w = link_->box.take();
        if (!w) {
            std::this_thread::yield();  // its producer is still linking it: a moment
            continue;
        }
        if (auto* call = std::get_if<outgoing_call>(&w->item)) {
            calls_.add(call->id, {std::move(call->state), std::move(call->callbacks)},
                       call->deadline);
        }
    }
    calls_.fail_all(errc::shutting_down, "the worker stopped");
}

void worker_core::complete(const std::shared_ptr<call_state>& state, raw_result r) {
    complete_call(state, std::move(r), [this](unique_task t) { dispatcher_.post(std::move(t)); });
}

std::uint64_t worker_core::send(const proto::target& to, std::string_view topic,
                                std::string_view type, std::string payload) {
    auto seq = link_->next_seq.fetch_add(1);
    push_message(*link_, proto::make_send(seq, to, topic, type, frame_of(std::move(payload))));
    return seq;
}

void worker_core::on_raw(std::string topic, std::string type,
                         std::function<void(const message&, std::span<const std::byte>)> h,
                         bool with_payload) {
    std::lock_guard lock{handlers_mutex_};
    handlers_[std::move(topic)] =
        std::make_shared<typed_handler>(typed_handler{std::move(type), std::move(h), with_payload});
}

void worker_core::on_message(std::function<void(const message&)> h) {
    std::lock_guard lock{handlers_mutex_};
    catch_all_ = std::make_shared<std::function<void(const message&)>>(std::move(h));
}

void worker_core::on_error(std::function<void(const send_error&)> h) {
    std::lock_guard lock{handlers_mutex_};
    error_handler_ = std::make_shared<std::function<void(const send_error&)>>(std::move(h));
}

void worker_core::add_export(std::string name, std::string types,
                             std::function<void(const incoming_call&)> fn, bool on_io_thread) {
    check_method_name(name);  // a longer name could be exported but never called
    auto entry = std::make_shared<const export_entry>(
        export_entry{std::move(types), std::move(fn), on_io_thread});
    push_or_throw(*link_, new_export{std::move(name), std::move(entry)},
                  "the worker is gone: nothing can be exported");
}

void worker_core::ready() {
    // After the exports made so far: the outbox keeps each thread's order.
    if (!ready_requested_.exchange(true))
        push_work(*link_, std::make_unique<work>(ready_request{}));
}

void worker_core::request_stop(std::string_view why) {
    {
        std::lock_guard lock{state_mutex_};
        if (stopping_)
            return;
        stopping_ = true;
    }
    log::debug("stopping: {}", why);
    state_cv_.notify_all();
}

bool worker_core::wait_until_stopping(std::chrono::milliseconds timeout) {
    std::unique_lock lock{state_mutex_};
    if (timeout == std::chrono::milliseconds::max()) {
        state_cv_.wait(lock, [this] { return stopping_.load(); });
        return true;
    }
    return state_cv_.wait_for(lock, timeout, [this] { return stopping_.load(); });
}

std::optional<crash_report> worker_core::last_error() const {
    std::lock_guard lock{state_mutex_};
    return last_error_;
}

bool worker_core::wait_until_welcomed(std::chrono::milliseconds timeout) {
    std::unique_lock lock{state_mutex_};
    return state_cv_.wait_for(lock, timeout, [this] { return conn_.welcomed(); });
}

}  // namespace mob::detail
