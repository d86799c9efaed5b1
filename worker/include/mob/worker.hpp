// libmob-worker: a mobster's handle on the cluster. A worker owns one DEALER socket,
// served by one I/O thread; handlers run on one dispatcher thread; every public
// member is safe to call from any thread.
//
//     w.on<std::string>("greet", [](const std::string& s) { fmt::print("{}\n", s); });
//     w.send("greet", std::string{"hello, everyone"});      // every process
//     w.all("back").send("greet", std::string{"hi backs"});  // every back
//     w.any("back").send("job", 42);                        // least-recently-used back
//     w.pid(1234).send("greet", std::string{"hi you"});     // one process
#pragma once

#include "mob/call_future.hpp"
#include "mob/callback.hpp"
#include "mob/codec.hpp"
#include "mob/crash_report.hpp"
#include "mob/detail/function_traits.hpp"
#include "mob/detail/serve_call.hpp"
#include "mob/message.hpp"
#include "mob/method.hpp"
#include "mob/protocol.hpp"
#include "mob/proxy.hpp"
#include "mob/reply.hpp"
#include "mob/scale_result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace mob {

class worker;

namespace detail {
class worker_core;

template <typename T>
using is_reply = unwrap<T, reply>;
}  // namespace detail

/// A worker's CURVE keys, for a broker's TCP endpoint (docs/security.md); not used over
/// ipc. Its own key pair, and the broker's public key, given as text or as a file.
///
///     .curve = {.secret_file = "alice.secret", .server_key_file = "broker.pub"}
struct curve_client {
    std::filesystem::path secret_file{};  ///< this worker's NAME.secret (MOB_CURVE_SECRET_FILE)
    std::string server_key{};             ///< the broker's public key, Z85 (MOB_CURVE_SERVER_KEY)
    std::filesystem::path server_key_file{};  ///< or its NAME.pub (MOB_CURVE_SERVER_KEY_FILE)
    bool empty() const noexcept {
        return secret_file.empty() && server_key.empty() && server_key_file.empty();
    }
};

/// How a worker finds and joins its kingpin.
struct worker_options {
    std::string
        endpoint;      ///< the broker's endpoint, e.g. "ipc:///run/user/1000/mob/myapp/broker.sock"
    std::string app;   ///< the app's name (checked against the broker's)
    std::string role;  ///< the role this worker serves
    bool spawned = false;  ///< started by the kingpin: exit when it is gone
    /// Calls the broker may send this worker at once ($MOB_CREDIT). It runs them one at a
    /// time all the same; the rest wait in its queue instead of a broker round trip away
    /// (with 1, a single worker moved a tenth of node's mob's calls). Only fast calls
    /// fill it: the broker gives a busy worker two slow ones at most
    /// (dispatch_policy::slow_call_depth), so a slow call does not wait behind another.
    std::uint32_t credit = 64;
    std::chrono::milliseconds heartbeat{1000};
    std::chrono::milliseconds call_timeout{30000};  ///< default timeout of its own calls
    std::uint32_t liveness = 3;
    std::size_t max_outgoing = 100000;  ///< messages queued locally before send() throws
    /// Calls of this worker waiting for their results at once; one more throws
    /// mob::error(queue_full) from call() (docs/limits.md).
    std::size_t max_pending_calls = 100000;
    /// Callbacks made here (mob::callback arguments) that may still be called; one more
    /// throws mob::error(queue_full) from the call that passes it.
    std::size_t max_callbacks = 100000;
    /// The largest message this worker sends (all frames); a bigger one throws
    /// mob::error(too_large) from send() or call(), and a result that big is sent as a
    /// too_large error instead. Keep it at or under the broker's
    /// broker_limits::max_message_size (both 16 MiB by default; MOB_MAX_MESSAGE_SIZE).
    std::size_t max_message_size = 16u << 20;
    bool monitor = false;  ///< watch the DEALER with a ZeroMQ monitor (MOB_MONITOR=1)
    int crash_fd = -1;     ///< the kingpin's crash pipe (MOB_CRASH_FD), for serve()'s crash reports
    /// After losing its broker, the worker reconnects after `reconnect`, doubling up to
    /// `reconnect_max` while the broker is away (MOB_RECONNECT_MS, MOB_RECONNECT_MAX_MS),
    /// then says HELLO again when the new broker asks (docs/external-workers.md).
    std::chrono::milliseconds reconnect{1000};
    std::chrono::milliseconds reconnect_max{32000};
    /// CURVE keys for a tcp:// endpoint; a broker's TCP endpoint admits no worker
    /// without them unless it was started insecure. A bad key file, a key of the wrong
    /// length or half the keys make the worker's constructor throw mob::error.
    curve_client curve{};
    /// How long the connection's handshake may take before it is dropped and retried.
    std::chrono::milliseconds handshake_timeout{5000};
};

/// How an exported function is served.
struct export_options {
    /// Run the function on the worker's I/O thread, as the request comes off the socket,
    /// instead of handing it to the dispatcher thread and its reply back: two thread
    /// hand-offs fewer per call (see docs/performance.md). For short functions only:
    /// while it runs the worker reads, sends and heartbeats nothing, and it cannot
    /// wait for a call's result (get() and value() there fail at once; use a callback
    /// or then()). A function that waits on I/O takes a mob::reply<T> and returns.
    bool inline_call = false;
};

/// A set of receivers: all(role), any(role), pid(p), id(worker id).
class recipients {
  public:
    /// Sends `value` under `topic`; returns the sequence number an error would carry.
    template <typename T>
    std::uint64_t send(std::string_view topic, const T& value) const;
    /// Sends `value` under the empty topic.
    template <typename T>
    std::uint64_t send(const T& value) const {
        return send(std::string_view{}, value);
    }

  private:
    friend class worker;
    recipients(worker& w, protocol::target t) : worker_(&w), target_(std::move(t)) {}
    worker* worker_;
    protocol::target target_;
};

class worker {
  public:
    /// Connects to the broker; the handshake runs on the I/O thread.
    explicit worker(worker_options options);
    /// Says goodbye and stops the threads; messages already sent are flushed (1 s linger).
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    /// Options from the environment the kingpin gives its workers (MOB_ENDPOINT,
    /// MOB_ROLE; optional MOB_APP, MOB_SPAWNED, MOB_HEARTBEAT_MS, MOB_LIVENESS, MOB_CREDIT,
    /// MOB_RECONNECT_MS, MOB_RECONNECT_MAX_MS, MOB_CURVE_SECRET_FILE, MOB_CURVE_SERVER_KEY,
    /// MOB_CURVE_SERVER_KEY_FILE); throws mob::error if a required one is unset.
    static worker_options options_from_env();

    const std::string& app() const noexcept;
    const std::string& role() const noexcept;
    /// This worker's routing id, "role/pid@host#nonce".
    const std::string& id() const noexcept;
    std::int64_t pid() const noexcept;

    /// Sends to every ready worker of every role, this one included.
    template <typename T>
    std::uint64_t send(std::string_view topic, const T& value) {
        return recipients{*this, {protocol::target_kind::all, {}}}.send(topic, value);
    }
    template <typename T>
    std::uint64_t send(const T& value) {
        return send(std::string_view{}, value);
    }
    /// Every ready worker of `role`.
    recipients all(std::string_view role) {
        return {*this, {protocol::target_kind::role, std::string{role}}};
    }
    /// The least-recently-used ready worker of `role`; waits in the broker if none is ready.
    recipients any(std::string_view role) {
        return {*this, {protocol::target_kind::any, std::string{role}}};
    }
    /// The worker with this pid.
    recipients pid(std::int64_t p) {
        return {*this, {protocol::target_kind::pid, std::to_string(p)}};
    }
    /// The worker with this id (e.g. a message's sender).
    recipients id(std::string_view worker_id) {
        return {*this, {protocol::target_kind::id, std::string{worker_id}}};
    }

    /// Registers a typed handler for `topic`; replaces an earlier one. A message whose
    /// payload is not a T goes back to its sender as errc::bad_type.
    template <typename T>
    void on(std::string topic, std::function<void(const T&)> handler) {
        // Decoded from the frame it came in: message::payload is not even filled.
        on_raw(
            std::move(topic), type_name<T>(),
            [h = std::move(handler)](const message&, std::span<const std::byte> payload) {
                h(decode<T>(payload));
            },
            /*with_payload=*/false);
    }
    template <typename T>
    void on(std::string topic, std::function<void(const T&, const message&)> handler);
    /// Sees every message no typed handler took: topic, sender and raw payload.
    void on_message(std::function<void(const message&)> handler);
    /// Sees every message this worker sent that came back undelivered (default: logged).
    void on_error(std::function<void(const send_error&)> handler);

    /// Exports `fn` to the cluster under `name`; its argument and result types are
    /// deduced, and calls whose arguments are not those types fail with bad_type. A
    /// function whose first parameter is a mob::reply<T> answers through it, later and
    /// from any thread. Functions run on the dispatcher thread, or with
    /// `{.inline_call = true}` on the I/O thread (see export_options).
    ///
    ///     w.export_fn("add", [](int a, int b) { return a + b; });
    ///     w.export_fn("echo", [](std::string s) { return s; }, {.inline_call = true});
    template <typename F>
    void export_fn(std::string name, F fn, export_options options = {});
    /// Exports `fn` as the typed method `m` (mob::method): its arguments decode as the
    /// declared parameter types (so a function taking `const std::string&` serves a
    /// declared std::string), and what it returns converts to the declared result; or it
    /// takes a mob::reply<R> first, as above. A function that does not fit the declaration
    /// does not compile.
    ///
    ///     inline constexpr mob::method<int(int, int)> add{"add"};
    ///     w.export_fn(add, [](int a, int b) { return a + b; });
    template <typename R, typename... P, detail::serves<method<R(P...)>> F>
    void export_fn(const method<R(P...)>& m, F fn, export_options options = {});

    /// A proxy to the functions `role` exports. Works whatever the order of roles:
    /// a call to a role with no worker up yet waits in the broker.
    proxy require(std::string_view role, call_settings settings = {});

    /// ZeroMQ monitor events of this worker's socket so far, by kind ("connected",
    /// "disconnected", "handshake_succeeded", ...); empty unless options.monitor.
    std::map<std::string, std::uint64_t> monitor_counts() const;

    /// The listening socket `name` the kingpin shares with every worker of this role (the
    /// role's `listen` option, "name=host:port"): accept() on it, and the kernel spreads
    /// connections over the workers. The same descriptor on every call; it is CLOEXEC.
    /// Throws mob::error naming `name` and the listeners there are if it is not one.
    ///
    ///     int fd = w.listener("http");
    int listener(std::string_view name) const;

    /// Calls waiting for a result, and callbacks made here waiting to be called back.
    std::size_t pending_calls() const;
    std::size_t pending_callbacks() const;

    /// Tells the broker this worker is ready for any() messages. Called for you when a
    /// role function returns; call it earlier from a role function that keeps running.
    void ready();
    /// True once the kingpin asked this worker to stop, or it lost its kingpin.
    bool stopping() const noexcept;
    /// Blocks until stopping(); false if `timeout` passed first.
    bool wait_until_stopping(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
    /// Asks this worker to stop (as the kingpin's STOP does).
    void request_stop();
    /// Runs `hook` once when this worker stops (the kingpin's STOP, a scale-down, a
    /// reload, SIGTERM/SIGINT), after the calls and messages it had received were
    /// handled, before the process exits; on the thread that called serve(). Replaces
    /// an earlier hook. Not run when the role function throws or the process is killed.
    void on_shutdown(std::function<void()> hook);

    /// Asks the kingpin to grow (delta > 0) or shrink (delta < 0) this worker's role, or
    /// `role`, as the original's scale(+n)/scale(-n). The kingpin keeps the role within
    /// its min..max: the result says the count before and after, and whether the request
    /// was cut at a bound. Shrinking stops the role's newest workers, each after the calls
    /// it holds are done. An unknown role fails with errc::unknown_role.
    ///
    ///     auto r = w.scale(+1).value(5s);   // r.target: the role's worker count now
    call_future<scale_result> scale(int delta);
    call_future<scale_result> scale(std::string_view role, int delta);
    /// Asks the kingpin to stop the whole app, every worker gracefully (this one too,
    /// through STOP, after the calls it holds), and to exit with `exit_code` (0..255):
    /// the end of a batch job. Only a worker the kingpin started may; the future fails
    /// otherwise (errc::unknown_pid), or if the kingpin is stopping already.
    ///
    ///     w.stop_app(failed ? 1 : 0).get();
    call_future<void> stop_app(int exit_code = 0);
    /// True after the broker's WELCOME (the worker is registered).
    bool welcomed() const noexcept;
    bool wait_until_welcomed(std::chrono::milliseconds timeout);
    /// True if the broker refused this worker (wrong app, unknown role, other version).
    bool refused() const noexcept;

    /// Why the worker this one replaces died: exit code or signal and, if the worker
    /// runtime caught one, the uncaught exception's type and what(). nullopt for the
    /// first worker of its slot, or a worker the kingpin did not spawn. The kingpin
    /// sends it in WELCOME: called before that came, it waits for it (at most
    /// heartbeat x liveness).
    ///
    ///     if (auto why = w.last_error())
    ///         mob::log::warn("restarted after: {}", why->summary());
    std::optional<crash_report> last_error() const;

    /// Sends raw bytes; the typed forms above are built on it.
    std::uint64_t send_raw(protocol::target to, std::string_view topic, std::string_view type,
                           std::string payload);

  private:
    friend int serve(worker_options options, const std::function<void(worker&)>& entry);
    /// A typed handler: the message, and its payload in the frame it came in (the value
    /// decodes from there); message::payload is filled only `with_payload`.
    using raw_handler = std::function<void(const message&, std::span<const std::byte> payload)>;
    void on_raw(std::string topic, std::string type, raw_handler handler, bool with_payload);
    void add_export(std::string name, std::string types,
                    std::function<void(const detail::incoming_call&)> fn,
                    export_options options = {});
    std::unique_ptr<detail::worker_core> core_;
};

template <typename T>
std::uint64_t recipients::send(std::string_view topic, const T& value) const {
    using wire = detail::arg_wire_t<T>;
    if constexpr (std::is_same_v<wire, std::remove_cvref_t<T>>) {
        return worker_->send_raw(target_, topic, type_name<wire>(), encode(value));
    } else {
        return worker_->send_raw(target_, topic, type_name<wire>(), encode(wire{value}));
    }
}

template <typename T>
void worker::on(std::string topic, std::function<void(const T&, const message&)> handler) {
    on_raw(
        std::move(topic), type_name<T>(),
        [h = std::move(handler)](const message& m, std::span<const std::byte> payload) {
            h(decode<T>(payload), m);
        },
        /*with_payload=*/true);
}

template <typename F>
void worker::export_fn(std::string name, F fn, export_options options) {
    using params = typename detail::function_traits<std::remove_cvref_t<F>>::args;
    using first = std::remove_cvref_t<typename detail::first_of<params>::type>;
    if constexpr (detail::is_reply<first>::value) {
        using args_t =
            typename detail::decayed_tuple<typename detail::drop_first<params>::type>::type;
        using R = typename detail::is_reply<first>::value_type;
        add_export(std::move(name), type_name<args_t>(),
                   detail::serve_through_reply<args_t, R>(std::move(fn)), options);
    } else {
        using args_t = typename detail::decayed_tuple<params>::type;
        using R =
            std::remove_cvref_t<typename detail::function_traits<std::remove_cvref_t<F>>::result>;
        add_export(std::move(name), type_name<args_t>(),
                   detail::serve_returning<args_t, R>(std::move(fn)), options);
    }
}

template <typename R, typename... P, detail::serves<method<R(P...)>> F>
void worker::export_fn(const method<R(P...)>& m, F fn, export_options options) {
    using M = method<R(P...)>;
    using args_t = typename M::args_tuple;
    if constexpr (detail::serves_by_returning_v<F, M>) {
        add_export(std::string{m.name()}, type_name<args_t>(),
                   detail::serve_returning<args_t, typename M::result_type>(std::move(fn)),
                   options);
    } else {
        add_export(std::string{m.name()}, type_name<args_t>(),
                   detail::serve_through_reply<args_t, typename M::result_type>(std::move(fn)),
                   options);
    }
}

/// The worker of this process; throws mob::error(errc::not_a_mobster) on the kingpin,
/// which holds no application logic.
worker& current_worker();

/// Runs `entry` as a mobster with options from the environment: connects, calls
/// entry(w), marks the worker ready, waits for the kingpin's STOP (or SIGTERM/SIGINT),
/// then leaves. Returns the process exit code. A program that links libmob-worker
/// and is started by the kingpin (mob::exec) or by hand calls this from main.
int serve(const std::function<void(worker&)>& entry);
int serve(worker_options options, const std::function<void(worker&)>& entry);

}  // namespace mob
