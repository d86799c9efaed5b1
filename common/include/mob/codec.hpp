// Encoding of command bodies and application payloads: cereal's portable binary
// archive (it records its byte order and swaps on a host of the other order). Decoding is strict:
// a payload must decode as the asked type *and* be consumed whole, which catches
// most values of the wrong type instead of handing back garbage. Payloads come from any
// peer, so decoding uses mob::detail::safe_input_archive, which reads the same format but
// refuses length prefixes the payload cannot hold and bool bytes other than 0 and 1.
#pragma once

#include "mob/detail/safe_archive.hpp"
#include "mob/error.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <zmq.hpp>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <span>
#include <streambuf>
#include <string>
#include <typeinfo>
#include <utility>

namespace mob {

namespace detail {

/// A read-only streambuf over bytes we do not own: decoding never copies the frame.
class span_streambuf : public std::streambuf {
  public:
    explicit span_streambuf(std::span<const std::byte> bytes) {
        auto* p = const_cast<char*>(reinterpret_cast<const char*>(bytes.data()));
        setg(p, p, p + bytes.size());
    }
    std::size_t remaining() const { return static_cast<std::size_t>(egptr() - gptr()); }
};

/// An append-only streambuf writing into a std::string.
class string_streambuf : public std::streambuf {
  public:
    explicit string_streambuf(std::string& out) : out_(out) {}

  protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        out_.append(s, static_cast<std::size_t>(n));
        return n;
    }
    int_type overflow(int_type c) override {
        if (c != traits_type::eof())
            out_.push_back(static_cast<char>(c));
        return c;
    }

  private:
    std::string& out_;
};

/// A streambuf for the encoding of one frame, used again and again by its thread: its
/// buffer (inline, then malloc'd as an encoding needs) stays with it, so a steady stream
/// of calls allocates nothing here. take() copies an encoding up to `copy_limit` bytes
/// into the frame (ZeroMQ keeps up to 33 bytes inside the message, and allocates a
/// larger one in a single block with its counter), and hands a larger buffer over to
/// the frame whole (ZeroMQ frees it): a big payload is never copied on its way out.
class frame_streambuf : public std::streambuf {
  public:
    static constexpr std::size_t copy_limit = 64 * 1024;

    frame_streambuf() { setp(inline_, inline_ + sizeof inline_); }
    ~frame_streambuf() override { std::free(heap_); }
    frame_streambuf(const frame_streambuf&) = delete;
    frame_streambuf& operator=(const frame_streambuf&) = delete;

    /// The frame of what was written; the streambuf is empty after.
    zmq::message_t take();
    /// Forgets what was written (an encoding that failed half way).
    void discard() noexcept { setp(pbase(), epptr()); }

  protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int_type overflow(int_type c) override;

  private:
    void grow(std::size_t more);
    char inline_[128];
    char* heap_ = nullptr;
};

/// What encode_frame_by writes with: a streambuf and the stream on it, made once per
/// thread (an std::ostream costs a locale and more to make). `busy` while one is in
/// use: an encoding that encodes another frame inside gets a fresh one.
struct frame_encoder {
    frame_streambuf buf;
    std::ostream os{&buf};
    bool busy = false;
};
frame_encoder& this_thread_frame_encoder();

/// The demangled name of a type, used to say which type a payload carries.
std::string demangle(const char* mangled);

}  // namespace detail

/// A readable, stable (for one compiler ABI) name of T, e.g. "int" or "std::string".
/// It travels beside each payload so a receiver can say "expected X, got Y".
template <typename T>
const std::string& type_name() {
    static const std::string name = detail::demangle(typeid(T).name());
    return name;
}

/// Appends the encoding of `values` to `out`.
template <typename... T>
void encode_into(std::string& out, const T&... values) {
    detail::string_streambuf buf{out};
    std::ostream os{&buf};
    cereal::PortableBinaryOutputArchive ar{os};
    ar(values...);
}

namespace detail {
/// The frame that `write(std::ostream&)` fills (through an archive of its choice: the
/// worker's carries a context for the callbacks among the values).
template <typename Write>
zmq::message_t encode_frame_by(Write&& write) {
    auto run = [&](frame_encoder& e) {
        try {
            write(e.os);
        } catch (...) {
            e.buf.discard();
            e.os.clear();
            throw;
        }
        return e.buf.take();
    };
    auto& shared = this_thread_frame_encoder();
    if (shared.busy) {
        frame_encoder nested;
        return run(nested);
    }
    shared.busy = true;
    struct release {
        frame_encoder& e;
        ~release() { e.busy = false; }
    } done{shared};
    return run(shared);
}
}  // namespace detail

/// Encodes `values` into a frame of their own (no copy of the encoding: see
/// frame_streambuf), as the builders of mob/protocol/messages.hpp take it.
template <typename... T>
zmq::message_t encode_frame(const T&... values) {
    return detail::encode_frame_by([&](std::ostream& os) {
        cereal::PortableBinaryOutputArchive ar{os};
        ar(values...);
    });
}

/// Encodes `value` with cereal's portable binary archive.
template <typename T>
std::string encode(const T& value) {
    std::string out;
    encode_into(out, value);
    return out;
}

namespace detail {
template <typename T, typename Archive, typename... Extra>
T decode_with(std::span<const std::byte> bytes, Extra&&... extra);
}  // namespace detail

/// Decodes bytes as T; throws mob::error(errc::bad_type) if they do not decode or
/// if bytes are left over. A length prefix larger than the rest of the payload is
/// refused before anything is allocated for it.
template <typename T>
T decode(std::span<const std::byte> bytes) {
    return detail::decode_with<T, detail::safe_input_archive>(bytes);
}

namespace detail {
/// decode(), through an Archive (a safe_input_archive, or one derived from it) made of
/// `bytes` and `extra`.
template <typename T, typename Archive, typename... Extra>
T decode_with(std::span<const std::byte> bytes, Extra&&... extra) {
    T value{};
    std::size_t left_over = 0;
    try {
        Archive ar{bytes, std::forward<Extra>(extra)...};
        ar(value);
        left_over = ar.remaining();
    } catch (const std::exception& e) {
        throw error(std::string{"payload does not decode as "} + type_name<T>() + ": " + e.what(),
                    errc::bad_type);
    }
    if (left_over != 0) {
        throw error("payload does not decode as " + type_name<T>() + ": " +
                        std::to_string(left_over) + " bytes left over",
                    errc::bad_type);
    }
    return value;
}
}  // namespace detail

/// Decodes a frame as T, reading its bytes where they are.
template <typename T>
T decode(const zmq::message_t& frame) {
    return decode<T>(std::span{static_cast<const std::byte*>(frame.data()), frame.size()});
}

template <typename T>
T decode(std::string_view bytes) {
    return decode<T>(std::as_bytes(std::span{bytes.data(), bytes.size()}));
}

}  // namespace mob
