// What the RPC templates (proxy, call_future, callback, reply) need from the worker
// engine, and nothing more: they are header templates, the engine is compiled code.
#pragma once

#include "mob/codec.hpp"
#include "mob/detail/codec_context.hpp"
#include "mob/result.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace mob::detail {

struct core_link;  // the engine's handle (worker/src/core_link.hpp)

/// A result as it came off the wire: code, the type name of the body, and the body
/// (the encoded value on success, the message on failure), in the frame it came in.
struct raw_result {
    errc code = errc::ok;
    std::string type;
    zmq::message_t body;
    /// The id of the worker that served the call; empty when unknown.
    std::string served_by = {};

    /// The body as text: a failure's message.
    std::string text() const { return {static_cast<const char*>(body.data()), body.size()}; }
};

/// The value or error of a raw result, without who served it (decoded from the frame:
/// a result may be read more than once).
template <typename T>
result<T> decode_result(const raw_result& r, std::string_view what) {
    if (r.code != errc::ok)
        return call_error{r.code, r.text()};
    if constexpr (std::is_void_v<T>) {
        return {};
    } else {
        if (!r.type.empty() && r.type != type_name<T>()) {
            return call_error{errc::bad_type,
                              std::string{what} + " returns " + r.type + ", not " + type_name<T>()};
        }
        try {
            return decode<T>(r.body);
        } catch (const mob::error& e) {
            return call_error{e.code(), std::string{what} + ": " + e.what()};
        }
    }
}

/// Decodes a raw result as result<T>, checking the type name first; the result says
/// which worker served it, value or error alike.
template <typename T>
result<T> to_result(const raw_result& r, std::string_view what) {
    auto out = decode_result<T>(r, what);
    if (!r.served_by.empty())
        result_access::set_served_by(out, r.served_by);
    return out;
}

/// The shared state of one call in flight: filled once, by the I/O thread. Its mutex
/// is this call's alone (the caller waits on it), never the worker's.
struct call_state {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<raw_result> result;
    std::function<void(const raw_result&)> continuation;  ///< runs on the dispatcher...
    bool continuation_inline = false;                     ///< ...or where the result comes in
    std::string what;                                     ///< "role.method", for messages
    std::shared_ptr<core_link> link;
    /// The call's sequence number: the send_error::seq its failure reports to on_error.
    std::uint64_t id = 0;
};

/// The origin side of a callback: what runs when it is invoked (its arguments decoded
/// for the worker behind `link`, so callbacks among them can call back there).
struct callback_local {
    std::string types;  ///< type name of its argument tuple
    std::function<void(std::span<const std::byte> args, const std::shared_ptr<core_link>& link)>
        run;                               ///< decodes and calls
    std::chrono::milliseconds timeout{0};  ///< 0: none
};

/// Engine entry points used by the templates (defined in the worker library). Each
/// throws mob::error if the worker is gone.
struct callback_ref {
    std::string origin;
    std::uint64_t id = 0;
};
callback_ref register_callback(const std::shared_ptr<core_link>& link,
                               std::shared_ptr<callback_local> cb);
std::uint64_t invoke_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref,
                              std::string_view types, zmq::message_t args);
void release_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref) noexcept;
/// Answers the REQUEST whose ticket is `call_id` with `body` (the encoded value; for a
/// failure, its message).
void send_reply(const std::shared_ptr<core_link>& link, std::uint64_t call_id, errc code,
                std::string_view type, zmq::message_t body) noexcept;
void send_reply(const std::shared_ptr<core_link>& link, std::uint64_t call_id, errc code,
                std::string_view type, std::string_view text) noexcept;
void post_to_dispatcher(const std::shared_ptr<core_link>& link, std::function<void()> task);
/// Throws mob::error (unknown_method) for a name the wire cannot carry (over 255 bytes),
/// before anything of the call (its callbacks) is made.
void check_method_name(std::string_view method);

/// Whether waiting here for a call of the worker behind `link` would never end: this
/// thread is its I/O thread, running an inline export (export_options::inline_call).
bool waiting_would_deadlock(const core_link* link) noexcept;

/// A call as an exported function's wrapper sees it.
struct incoming_call {
    std::shared_ptr<core_link> link;
    std::uint64_t call_id = 0;  ///< the broker's ticket for it, which the reply carries
    std::string what;           ///< "role.method"
    std::span<const std::byte> args;
};

/// "TYPE: what()" of the exception being handled.
std::string describe_current_exception();

}  // namespace mob::detail
