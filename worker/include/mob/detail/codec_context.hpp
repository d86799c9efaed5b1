// Encoding and decoding with a worker at hand. A mob::callback among a call's arguments
// (or a reply's value, or a callback's own arguments) must register with the worker that
// sends it, and one that is received must know the worker that will call it home: the
// archive carries that worker (a codec_context), rather than a thread-local, so which
// worker a value belongs to is explicit at each encode and decode.
//
//     codec_context ctx{link};
//     auto args = encode_frame_for(ctx, std::tuple{1, mob::callback<void(int)>{...}});
//     // ctx.registered: the ids of the callbacks made for this call
#pragma once

#include "mob/codec.hpp"

#include <zmq.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace mob::detail {

struct core_link;  // the worker engine's handle (defined in the worker library)

/// The worker a value is encoded for or decoded by, and the callbacks registered while
/// encoding (so a call that fails can forget them).
struct codec_context {
    std::shared_ptr<core_link> link;
    std::vector<std::uint64_t> registered;
};

/// cereal's portable binary output, carrying a codec_context. The same bytes as
/// cereal::PortableBinaryOutputArchive: only what callbacks can reach differs.
class context_output_archive : public cereal::PortableBinaryOutputArchive {
  public:
    context_output_archive(std::ostream& os, codec_context& ctx)
        : cereal::PortableBinaryOutputArchive(os), ctx_(ctx) {}
    codec_context& context() noexcept { return ctx_; }

  private:
    codec_context& ctx_;
};

/// safe_input_archive, carrying a codec_context.
class context_input_archive : public safe_input_archive {
  public:
    context_input_archive(std::span<const std::byte> bytes, codec_context& ctx)
        : safe_input_archive(bytes), ctx_(ctx) {}
    codec_context& context() noexcept { return ctx_; }

  private:
    codec_context& ctx_;
};

/// The context of the archive a value is being saved to or loaded from, or null if it is
/// a plain one (cereal hands serialize functions its own base type, so it is looked up).
template <typename Archive>
codec_context* context_of(Archive& ar) noexcept {
    if constexpr (Archive::is_saving::value) {
        auto* a = dynamic_cast<context_output_archive*>(&ar);
        return a != nullptr ? &a->context() : nullptr;
    } else {
        auto* a = dynamic_cast<context_input_archive*>(&ar);
        return a != nullptr ? &a->context() : nullptr;
    }
}

/// encode_frame(values...), with `ctx` for the callbacks among them (named apart from
/// mob::encode_frame so as not to hide it inside mob::detail).
template <typename... T>
zmq::message_t encode_frame_for(codec_context& ctx, const T&... values) {
    return encode_frame_by([&](std::ostream& os) {
        context_output_archive ar{os, ctx};
        ar(values...);
    });
}

/// decode<T>(bytes), with `ctx` for the callbacks in them.
template <typename T>
T decode_for(std::span<const std::byte> bytes, codec_context& ctx) {
    return decode_with<T, context_input_archive>(bytes, ctx);
}

}  // namespace mob::detail
