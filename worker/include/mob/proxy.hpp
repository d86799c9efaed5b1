// mob::proxy: a role's exported functions, as `w.require("back")` gives them. Each call
// goes through the kingpin to the least-recently-used worker of the role that has
// credit free; every call has a timeout and every failure comes back as an error.
//
//     auto back = w.require("back");
//     int three = back.call<int>("add", 1, 2).value();                    // future
//     back.call("add", 1, 2, [](mob::result<int> r) { ... });            // callback
//     auto seq = back.cast("foo");                                        // fire and forget
//     back.with({.timeout = 2s, .idempotent = true}).call<int>("add", 1, 2);
//
// A mob::method declares a function once for the caller and the export (method.hpp):
//
//     int three = back.call(add, 1, 2).value();   // add: a mob::method<int(int, int)>
#pragma once

#include "mob/call_future.hpp"
#include "mob/callback.hpp"
#include "mob/detail/call_arguments.hpp"
#include "mob/detail/rpc_core.hpp"
#include "mob/method.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace mob {

/// How a proxy calls.
struct call_settings {
    std::chrono::milliseconds timeout{0};  ///< 0: the worker's default (30 s)
    bool idempotent = false;               ///< may run again on another worker if one dies
    /// The callback form's handler runs on the worker's I/O thread, as the result comes
    /// off the socket (like an inline export): no hand-off to the dispatcher. Keep it
    /// short and never blocking; it may make calls, and get() there fails at once.
    bool inline_result = false;
    /// Ask which worker served the call: its result's served_by() then names it
    /// ("role/pid@host#nonce"). Off by default, since it costs a frame per result;
    /// results that failed before any worker answered name nobody.
    bool report_server = false;
};

namespace detail {

/// The engine side of a proxy (defined in the worker library).
std::shared_ptr<call_state> start_call(const std::shared_ptr<core_link>& link,
                                       const std::string& role, std::string_view method,
                                       const call_settings& settings, bool oneway,
                                       std::string_view types, zmq::message_t args,
                                       std::vector<std::uint64_t> callbacks,
                                       std::function<void(const raw_result&)> on_io_thread = {});

}  // namespace detail

class proxy {
  public:
    proxy(std::shared_ptr<detail::core_link> link, std::string role, call_settings settings = {})
        : link_(std::move(link)), role_(std::move(role)), settings_(settings) {}

    const std::string& role() const noexcept { return role_; }

    /// The same proxy with other settings.
    proxy with(call_settings settings) const { return proxy{link_, role_, settings}; }

    /// Calls `method` with `args`; returns a future of R. If the last argument is a
    /// handler taking mob::result<X>, it is called with the result instead (on the
    /// dispatcher thread, or the I/O thread with call_settings::inline_result) and
    /// nothing is returned. Any other function as an argument does not compile: one
    /// travels only as a mob::callback.
    template <typename R = void, typename... A>
    requires detail::call_arguments<A...>
    auto call(std::string_view method, A&&... args) const {
        if constexpr (detail::last_is_result_handler_v<A...>) {
            using handler = detail::result_handler<detail::last_of_t<A...>>;
            using sent =
                typename detail::leading_wire_tuple<std::make_index_sequence<sizeof...(A) - 1>,
                                                    A...>::type;
            call_with_handler<sent, typename handler::value_type>(
                method, std::forward_as_tuple(std::forward<A>(args)...),
                std::make_index_sequence<sizeof...(A) - 1>{});
        } else {
            return call_future<R>{start_as<std::tuple<detail::arg_wire_t<A>...>>(
                {}, method, false, std::forward<A>(args)...)};
        }
    }

    /// Calls `method` and wants no result, like the seed's `back.foo()`; an error (an
    /// unknown method, a throwing function) still reaches the worker's on_error, as a
    /// send_error whose seq is what cast() returned.
    template <typename... A>
    requires detail::cast_arguments<A...>
    auto cast(std::string_view method, A&&... args) const -> std::uint64_t {
        return start_as<std::tuple<detail::arg_wire_t<A>...>>({}, method, true,
                                                              std::forward<A>(args)...)
            ->id;
    }

    /// Calls a typed method (mob::method): the arguments convert to its declared
    /// parameters, and the future is of its declared result; a handler of that
    /// mob::result<R> after the arguments gets it instead. A call that does not fit the
    /// declaration does not compile.
    ///
    ///     int three = back.call(add, 1, 2).value();
    template <typename R, typename... P, typename... A>
    requires detail::typed_call_arguments<method<R(P...)>, A...>
    auto call(const method<R(P...)>& m, A&&... args) const {
        using M = method<R(P...)>;
        if constexpr (sizeof...(A) == M::arity) {
            return call_future<typename M::result_type>{
                start_as<typename M::args_tuple>({}, m.name(), false, std::forward<A>(args)...)};
        } else {
            call_with_handler<typename M::args_tuple, typename M::result_type>(
                m.name(), std::forward_as_tuple(std::forward<A>(args)...),
                std::make_index_sequence<M::arity>{});
        }
    }

    /// Calls a typed method and wants no result; returns the seq its error would carry.
    template <typename R, typename... P, typename... A>
    requires detail::typed_cast_arguments<method<R(P...)>, A...>
    auto cast(const method<R(P...)>& m, A&&... args) const -> std::uint64_t {
        return start_as<typename method<R(P...)>::args_tuple>({}, m.name(), true,
                                                              std::forward<A>(args)...)
            ->id;
    }

  private:
    /// Sends `args` as a `Tuple` (the wire's argument types, whose type name travels
    /// beside them). `on_io_thread`, if any, is the call's continuation on the I/O
    /// thread, in place before the CALL leaves (so it never runs on this thread).
    template <typename Tuple, typename... A>
    std::shared_ptr<detail::call_state> start_as(
        std::function<void(const detail::raw_result&)> on_io_thread, std::string_view method,
        bool oneway, A&&... args) const {
        detail::check_method_name(method);
        detail::codec_context ctx{link_, {}};  // callbacks among the arguments register here
        auto bytes = detail::encode_frame_for(ctx, Tuple{std::forward<A>(args)...});
        return detail::start_call(link_, role_, method, settings_, oneway, type_name<Tuple>(),
                                  std::move(bytes), std::move(ctx.registered),
                                  std::move(on_io_thread));
    }

    /// Sends the first I... of `all` as a `Tuple`; the last is the handler of its result<R>.
    template <typename Tuple, typename R, typename All, std::size_t... I>
    void call_with_handler(std::string_view method, All&& all, std::index_sequence<I...>) const {
        auto&& handler = std::get<sizeof...(I)>(std::forward<All>(all));
        using H = decltype(handler);
        if (settings_.inline_result) {
            std::string what = role_ + "." + std::string{method};
            start_as<Tuple>(
                [fn = std::forward<H>(handler), what = std::move(what)](
                    const detail::raw_result& r) mutable { fn(detail::to_result<R>(r, what)); },
                method, false, std::get<I>(std::forward<All>(all))...);
            return;
        }
        call_future<R> f{
            start_as<Tuple>({}, method, false, std::get<I>(std::forward<All>(all))...)};
        f.then(std::forward<H>(handler));
    }

    std::shared_ptr<detail::core_link> link_;
    std::string role_;
    call_settings settings_;
};

}  // namespace mob
