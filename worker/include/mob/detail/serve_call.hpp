// How an exported function serves a call: the engine hands it the call's bytes, it
// decodes them as its argument tuple, runs the function and answers with its result or
// its error. Shared by both forms of worker::export_fn: the string form deduces the
// tuple and the result from the function, a mob::method declares them.
#pragma once

#include "mob/codec.hpp"
#include "mob/detail/codec_context.hpp"
#include "mob/detail/rpc_core.hpp"
#include "mob/reply.hpp"

#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mob::detail {

/// The code of an error thrown while serving: a payload that did not decode is
/// bad_type, anything else the function's own failure.
inline errc code_of_thrown(const mob::error& e) {
    return e.code() == errc::bad_type ? errc::bad_type : errc::remote_exception;
}

/// Serves `fn(Args...) -> R`, answering with what it returns (converted to R).
template <typename Args, typename R, typename F>
std::function<void(const incoming_call&)> serve_returning(F fn) {
    return [fn = std::move(fn)](const incoming_call& c) mutable {
        try {
            codec_context ctx{c.link, {}};  // callbacks in the arguments and the result
            auto args = decode_for<Args>(c.args, ctx);
            if constexpr (std::is_void_v<R>) {
                std::apply(fn, std::move(args));
                send_reply(c.link, c.call_id, errc::ok, "void", zmq::message_t{});
            } else {
                R value = std::apply(fn, std::move(args));
                send_reply(c.link, c.call_id, errc::ok, type_name<R>(),
                           encode_frame_for(ctx, value));
            }
        } catch (const mob::error& e) {
            send_reply(c.link, c.call_id, code_of_thrown(e), {},
                       c.what + ": " + describe_current_exception());
        } catch (...) {
            send_reply(c.link, c.call_id, errc::remote_exception, {},
                       c.what + ": " + describe_current_exception());
        }
    };
}

/// Serves `fn(mob::reply<R>, Args...)`, which answers through the reply, now or later.
template <typename Args, typename R, typename F>
std::function<void(const incoming_call&)> serve_through_reply(F fn) {
    return [fn = std::move(fn)](const incoming_call& c) mutable {
        reply<R> r{c.link, c.call_id, c.what};
        try {
            codec_context ctx{c.link, {}};  // callbacks in the arguments
            auto args = decode_for<Args>(c.args, ctx);
            std::apply([&](auto&&... a) { fn(r, std::move(a)...); }, std::move(args));
        } catch (const mob::error& e) {
            r.fail(code_of_thrown(e), c.what + ": " + describe_current_exception());
        } catch (...) {
            r.fail(errc::remote_exception, c.what + ": " + describe_current_exception());
        }
    };
}

}  // namespace mob::detail
