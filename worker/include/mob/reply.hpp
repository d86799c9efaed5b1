// mob::reply<T>: the answer to a call, given later and from any thread, for exported
// functions that wait on I/O:
//
//     w.export_fn("fetch", [](mob::reply<std::string> r, std::string url) {
//         start_download(url, [r](std::string body) mutable { r.send(std::move(body)); });
//     });
//
// A reply dropped unanswered fails the call (handler_failed) rather than leaving the
// caller to its timeout.
#pragma once

#include "mob/codec.hpp"
#include "mob/detail/rpc_core.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace mob {

template <typename T>
class reply {
  public:
    reply(std::shared_ptr<detail::core_link> link, std::uint64_t call_id, std::string what)
        : state_(std::make_shared<state>(std::move(link), call_id, std::move(what))) {}

    /// Answers with a value (once; later answers are ignored).
    template <typename U = T, typename = std::enable_if_t<!std::is_void_v<U>>>
    void send(const U& value) const {
        if (!state_->claim())
            return;
        detail::codec_context ctx{state_->link, {}};  // callbacks in the value register there
        detail::send_reply(state_->link, state_->call_id, errc::ok, type_name<U>(),
                           detail::encode_frame_for(ctx, value));
    }
    template <typename U = T, typename = std::enable_if_t<std::is_void_v<U>>>
    void send() const {
        if (state_->claim()) {
            detail::send_reply(state_->link, state_->call_id, errc::ok, "void", zmq::message_t{});
        }
    }
    /// Answers with an error.
    void fail(errc code, std::string message) const {
        if (state_->claim()) {
            detail::send_reply(state_->link, state_->call_id, code, {}, std::string_view{message});
        }
    }
    bool answered() const noexcept { return state_->done.load(); }

  private:
    struct state {
        state(std::shared_ptr<detail::core_link> l, std::uint64_t id, std::string w)
            : link(std::move(l)), call_id(id), what(std::move(w)) {}
        ~state() {
            if (claim()) {
                detail::send_reply(
                    link, call_id, errc::handler_failed, {},
                    std::string_view{what + ": the handler dropped its reply unanswered"});
            }
        }
        bool claim() { return !done.exchange(true); }
        std::shared_ptr<detail::core_link> link;
        std::uint64_t call_id;
        std::string what;
        std::atomic<bool> done{false};
    };
    std::shared_ptr<state> state_;
};

}  // namespace mob
