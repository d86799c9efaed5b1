// mob::callback<void(Args...)>: a function that travels as a call's argument. It
// travels as {origin worker, callback id}; the receiver calls it like a function and
// it runs in the origin process, once. Unlike the original mob's, a callback the
// receiver drops without calling is released at the origin, a callback can carry a
// timeout, and calling one whose origin is gone is reported to the receiver.
//
//     back.cast("count_words", text, mob::callback<void(int)>{[](int n) { ... }});
//     w.export_fn("count_words", [](std::string text, mob::callback<void(int)> done) {
//         done(count(text));  // runs in the caller's process
//     });
#pragma once

#include "mob/codec.hpp"
#include "mob/detail/rpc_core.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <tuple>

namespace mob {

template <typename Signature>
class callback;

template <typename... Args>
class callback<void(Args...)> {
  public:
    using args_tuple = std::tuple<std::remove_cvref_t<Args>...>;

    callback() = default;
    /// The origin side: `fn` runs here when the receiver calls the callback. After
    /// `timeout` (0: never) the origin forgets it and a late call is an error.
    template <typename F,
              typename = std::enable_if_t<std::is_invocable_v<F&, Args...> &&
                                          !std::is_same_v<std::remove_cvref_t<F>, callback>>>
    callback(F fn, std::chrono::milliseconds timeout = std::chrono::milliseconds{0})
        : local_(std::make_shared<detail::callback_local>()) {
        local_->types = type_name<args_tuple>();
        local_->timeout = timeout;
        local_->run = [f = std::move(fn)](std::span<const std::byte> bytes,
                                          const std::shared_ptr<detail::core_link>& link) mutable {
            detail::codec_context ctx{link, {}};  // callbacks among the arguments call back there
            std::apply(f, detail::decode_for<args_tuple>(bytes, ctx));
        };
    }

    explicit operator bool() const noexcept { return local_ || remote_; }

    /// Runs the callback: here if it was made here, else in its origin process.
    /// Throws mob::error: callback_used on a second call, callback_expired after its
    /// timeout. An origin that is gone comes back through the worker's on_error.
    void operator()(const Args&... args) const {
        if (local_) {
            auto bytes = encode(args_tuple{args...});
            local_->run(std::as_bytes(std::span{bytes.data(), bytes.size()}), nullptr);
            return;
        }
        if (!remote_)
            throw mob::error("calling an empty mob::callback", errc::callback_used);
        remote_->invoke(encode_args(args...));
    }

    template <class Archive>
    void save(Archive& ar) const {
        if (!local_)
            throw mob::error("only a callback made in this process can travel");
        // The archive says which worker sends it (proxy, reply, export and callback
        // arguments encode with their worker's context; a plain encode() has none).
        auto* ctx = detail::context_of(ar);
        if (ctx == nullptr || !ctx->link) {
            throw mob::error(
                "a mob::callback travels only as an argument of a call, a reply or a callback "
                "(encoded with its worker's context, not by a plain mob::encode)");
        }
        auto ref = detail::register_callback(ctx->link, local_);
        ctx->registered.push_back(ref.id);
        ar(ref.origin, ref.id, static_cast<std::uint32_t>(local_->timeout.count()), local_->types);
    }

    template <class Archive>
    void load(Archive& ar) {
        auto r = std::make_shared<remote>();
        std::uint32_t timeout_ms = 0;
        ar(r->ref.origin, r->ref.id, timeout_ms, r->types);
        if (auto* ctx = detail::context_of(ar))
            r->link = ctx->link;  // else it cannot call home: invoking it says so
        if (timeout_ms > 0) {
            r->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
        }
        if (r->types != type_name<args_tuple>()) {
            throw mob::error("callback takes " + r->types + ", not " + type_name<args_tuple>(),
                             errc::bad_type);
        }
        remote_ = std::move(r);
    }

  private:
    zmq::message_t encode_args(const Args&... args) const {
        detail::codec_context ctx{remote_->link, {}};  // callbacks may carry callbacks
        return detail::encode_frame_for(ctx, args_tuple{args...});
    }

    /// The receiver side: a stub that calls home once, and releases the origin's
    /// entry if it dies uncalled.
    struct remote {
        std::shared_ptr<detail::core_link> link;
        detail::callback_ref ref;
        std::string types;
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max();
        mutable std::atomic<bool> used{false};

        void invoke(zmq::message_t args) const {
            if (used.exchange(true)) {
                throw mob::error("callback from " + ref.origin + " was already called",
                                 errc::callback_used);
            }
            if (std::chrono::steady_clock::now() > deadline) {
                detail::release_callback(link, ref);
                throw mob::error("callback from " + ref.origin + " has expired",
                                 errc::callback_expired);
            }
            detail::invoke_callback(link, ref, types, std::move(args));
        }
        ~remote() {
            if (!used.load() && link)
                detail::release_callback(link, ref);
        }
    };

    std::shared_ptr<detail::callback_local> local_;
    std::shared_ptr<const remote> remote_;
};

}  // namespace mob
