// The byte format of a broker fuzz input, read by broker_fuzz.cpp and written by
// make_seeds.cpp: a sequence of operations, each one opcode byte (taken modulo the
// number of operations, so every byte means something) followed by its arguments. An
// input that ends in the middle of an operation reads zeros, so libFuzzer's mutations
// never make an input "invalid", only different.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mob::fuzz {

/// What one step of an input does (docs in broker_fuzz.cpp, where each is carried out).
enum class op : std::uint8_t {
    raw,          ///< a message of arbitrary frames from one peer
    hello,        ///< a well-formed HELLO with fields chosen from small sets
    ready,        ///< READY: credit, exports
    call,         ///< CALL: id, flags, timeout, role, method, args
    reply,        ///< REPLY to a REQUEST the peer holds (by index), or to any ticket
    send,         ///< SEND to a target chosen from every kind
    invoke,       ///< INVOKE of a callback of another peer
    release,      ///< RELEASE of one
    reject,       ///< REJECT of a message of another peer
    scale,        ///< SCALE of a role
    signal,       ///< HEARTBEAT, GOODBYE, or any other body-less header
    advance,      ///< the clock moves on, and the broker's timers run
    exited,       ///< a local process exited (cleanly or not)
    stop_worker,  ///< the kingpin stops one local worker
    stop_all,     ///< the kingpin stops (once)
    check,        ///< the invariants are checked now
    vanish,       ///< a peer's socket closes (and the broker's can no longer reach it)
    count_        ///< not an operation: how many there are
};

/// Reads an input; past its end every read gives zeros (and empty byte strings).
class input {
  public:
    explicit input(std::span<const std::uint8_t> data) : data_(data) {}

    bool done() const noexcept { return at_ >= data_.size(); }
    std::uint8_t byte() noexcept { return done() ? 0 : data_[at_++]; }
    /// `n` bytes little-endian (n <= 8).
    std::uint64_t number(std::size_t n) noexcept {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v |= std::uint64_t{byte()} << (8 * i);
        return v;
    }
    /// Up to `n` bytes, fewer at the end of the input.
    std::string_view bytes(std::size_t n) noexcept {
        const auto left = data_.size() - (done() ? data_.size() : at_);
        n = n < left ? n : left;
        std::string_view out{reinterpret_cast<const char*>(data_.data()) + at_, n};
        at_ += n;
        return out;
    }
    /// A length-prefixed byte string: one length byte; 255 means two more bytes of length
    /// follow (little-endian, at most `max_long`), for the odd large frame.
    std::string_view blob(std::size_t max_long = 4096) noexcept {
        std::size_t n = byte();
        if (n == 255)
            n = static_cast<std::size_t>(number(2)) % (max_long + 1);
        return bytes(n);
    }

  private:
    std::span<const std::uint8_t> data_;
    std::size_t at_ = 0;
};

/// Writes an input that input reads back the same way (for seeds and regression cases).
class input_writer {
  public:
    input_writer& operation(op o) { return byte(static_cast<std::uint8_t>(o)); }
    input_writer& byte(std::uint8_t b) {
        out_.push_back(static_cast<char>(b));
        return *this;
    }
    input_writer& number(std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            byte(static_cast<std::uint8_t>(v >> (8 * i)));
        return *this;
    }
    input_writer& blob(std::string_view b) {
        if (b.size() < 255) {
            byte(static_cast<std::uint8_t>(b.size()));
        } else {
            byte(255);
            number(b.size(), 2);
        }
        out_.append(b);
        return *this;
    }
    const std::string& str() const noexcept { return out_; }

  private:
    std::string out_;
};

}  // namespace mob::fuzz
