// What the RPC templates (proxy, call_future, callback, reply) need from the worker
// engine, and nothing more: they are header templates, the engine is compiled code.
#pragma once

#include "mob/codec.hpp"
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

namespace mob::detail {

class worker_core;

/// A result as it came off the wire: code, the type name of the body, and the body
/// (the encoded value on success, the message on failure).
struct raw_result {
    errc code = errc::ok;
    std::string type;
    std::string body;
    /// The id of the worker that served the call; empty when unknown. (`= {}`: the
    /// engine's three-field initializers stay free of missing-initializer warnings.)
    std::string served_by = {};
};

/// The value or error of a raw result, without who served it.
template <typename T>
result<T> decode_result(const raw_result& r, std::string_view what) {
    if (r.code != errc::ok)
        return call_error{r.code, r.body};
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

/// The shared state of one call in flight: filled once, by the I/O thread.
struct call_state {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<raw_result> result;
    std::function<void(const raw_result&)> continuation;  ///< runs on the dispatcher...
    bool continuation_inline = false;                     ///< ...or where the result comes in
    std::string what;                                     ///< "role.method", for messages
    std::shared_ptr<struct core_link> link;
    /// The call's sequence number: the send_error::seq its failure reports to on_error.
    std::uint64_t id = 0;
};

/// A handle on a worker engine that may outlive it: a callback or reply kept by the
/// application after its worker is gone finds `core == nullptr`, not a dangling pointer.
struct core_link {
    std::mutex mutex;
    worker_core* core = nullptr;
};

/// The worker whose callbacks are being encoded or decoded on this thread (or null).
const std::shared_ptr<core_link>& codec_link();

/// Sets codec_link() for the current scope, and collects the ids of the callbacks
/// registered while it lasts (so a call that fails can release them).
class codec_scope {
  public:
    explicit codec_scope(std::shared_ptr<core_link> link);
    ~codec_scope();
    codec_scope(const codec_scope&) = delete;
    codec_scope& operator=(const codec_scope&) = delete;

    std::vector<std::uint64_t> registered;

  private:
    std::shared_ptr<core_link> previous_;
    codec_scope* outer_;
};

/// The origin side of a callback: what runs when it is invoked.
struct callback_local {
    std::string types;                                         ///< type name of its argument tuple
    std::function<void(std::span<const std::byte> args)> run;  ///< decodes and calls
    std::chrono::milliseconds timeout{0};                      ///< 0: none
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
                              std::string_view types, std::string args);
void release_callback(const std::shared_ptr<core_link>& link, const callback_ref& ref) noexcept;
/// Answers the REQUEST whose ticket is `call_id`.
void send_reply(const std::shared_ptr<core_link>& link, std::uint64_t call_id, errc code,
                std::string_view type, std::string body) noexcept;
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
