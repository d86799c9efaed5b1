// An input archive for bytes from an untrusted peer. It reads exactly what
// cereal::PortableBinaryOutputArchive writes (one byte saying whether the writer was
// little-endian, then the values in the writer's byte order), modelled on cereal's
// PortableBinaryInputArchive, but it reads from a span whose size it knows and so
// refuses, before anything is allocated, a length prefix claiming more elements than
// bytes are left. It also refuses a bool byte other than 0 or 1.
//
// One consequence: a container whose elements encode to zero bytes (std::monostate,
// empty structs) cannot hold more elements than the payload has bytes left after its
// length prefix. Nothing in mob sends such containers.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

namespace mob::detail {

class safe_input_archive
    : public cereal::InputArchive<safe_input_archive, cereal::AllowEmptyClassElision> {
  public:
    /// Reads the endianness byte; throws cereal::Exception if it is missing or not 0/1.
    explicit safe_input_archive(std::span<const std::byte> bytes)
        : cereal::InputArchive<safe_input_archive, cereal::AllowEmptyClassElision>(this),
          pos_(bytes.data()),
          end_(bytes.data() + bytes.size()) {
        std::uint8_t writer_little = 0;
        loadBinary<1>(&writer_little, 1);
        if (writer_little > 1) {
            throw cereal::Exception("bad byte-order mark " + std::to_string(writer_little));
        }
        swap_ = (writer_little == 1) != (std::endian::native == std::endian::little);
    }

    safe_input_archive(const safe_input_archive&) = delete;
    safe_input_archive& operator=(const safe_input_archive&) = delete;
    ~safe_input_archive() noexcept = default;

    /// The number of bytes not read yet.
    std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - pos_); }

    /// Reads `size` bytes into `data`, then swaps each DataSize-byte element if the
    /// writer's byte order is not ours.
    template <std::size_t DataSize>
    void loadBinary(void* data, std::size_t size) {
        if (size > remaining()) {
            throw cereal::Exception("payload ends early: " + std::to_string(size) +
                                    " bytes wanted, " + std::to_string(remaining()) + " left");
        }
        if (size == 0)
            return;
        std::memcpy(data, pos_, size);
        pos_ += size;
        if constexpr (DataSize > 1) {
            if (swap_) {
                auto* p = static_cast<unsigned char*>(data);
                for (std::size_t i = 0; i + DataSize <= size; i += DataSize) {
                    for (std::size_t j = 0; j < DataSize / 2; ++j) {
                        std::swap(p[i + j], p[i + DataSize - 1 - j]);
                    }
                }
            }
        }
    }

  private:
    const std::byte* pos_;
    const std::byte* end_;
    bool swap_ = false;
};

template <class T>
inline constexpr bool portable_float_v =
    !std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559;

/// Arithmetic values; a bool must be the byte 0 or 1.
template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(safe_input_archive& ar,
                                                                           T& t) {
    static_assert(portable_float_v<T>, "only IEEE 754 floating point is portable");
    if constexpr (std::is_same_v<T, bool>) {
        static_assert(sizeof(bool) == 1, "a bool is written as one byte");
        std::uint8_t byte = 0;
        ar.loadBinary<1>(&byte, 1);
        if (byte > 1)
            throw cereal::Exception("bad bool byte " + std::to_string(byte));
        t = byte == 1;
    } else {
        ar.loadBinary<sizeof(T)>(std::addressof(t), sizeof(t));
    }
}

/// Names are not written in a binary archive: just the value.
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(safe_input_archive& ar, cereal::NameValuePair<T>& t) {
    ar(t.value);
}

/// A container's element count: refused if it exceeds the bytes left, before the
/// container is sized (every element takes at least one byte; see the top of the file).
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(safe_input_archive& ar, cereal::SizeTag<T>& t) {
    ar(t.size);
    if (std::cmp_greater(t.size, ar.remaining())) {
        throw cereal::Exception("a length of " + std::to_string(t.size) + " with only " +
                                std::to_string(ar.remaining()) + " bytes left");
    }
}

/// Contiguous arithmetic data (strings, vectors, arrays); bools are checked one by one.
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(safe_input_archive& ar, cereal::BinaryData<T>& bd) {
    using element = std::remove_cv_t<std::remove_pointer_t<std::remove_reference_t<T>>>;
    static_assert(portable_float_v<element>, "only IEEE 754 floating point is portable");
    if (bd.size > ar.remaining()) {
        throw cereal::Exception("payload ends early: " + std::to_string(bd.size) +
                                " bytes wanted, " + std::to_string(ar.remaining()) + " left");
    }
    const auto size = static_cast<std::size_t>(bd.size);
    if constexpr (std::is_same_v<element, bool>) {
        ar.loadBinary<1>(bd.data, size);
        auto* p = static_cast<unsigned char*>(bd.data);
        for (std::size_t i = 0; i < size; ++i) {
            if (p[i] > 1) {
                const unsigned bad = p[i];
                std::memset(p, 0, size);
                throw cereal::Exception("bad bool byte " + std::to_string(bad));
            }
        }
    } else {
        ar.loadBinary<sizeof(element)>(bd.data, size);
    }
}

}  // namespace mob::detail

CEREAL_REGISTER_ARCHIVE(mob::detail::safe_input_archive)

// load_minimal functions (enums, user types) learn the type to load from the save_minimal
// of the output archive paired with this input archive. Only this direction is declared:
// PortableBinaryOutputArchive stays paired with PortableBinaryInputArchive the other way.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<mob::detail::safe_input_archive> {
    using type = cereal::PortableBinaryOutputArchive;
};
}  // namespace cereal::traits::detail
