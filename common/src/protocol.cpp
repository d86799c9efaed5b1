#include "mob/protocol.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mob::protocol::v1 {

std::string_view to_string(command c) noexcept {
    switch (c) {
        case command::hello: return "HELLO";
        case command::ready: return "READY";
        case command::heartbeat: return "HEARTBEAT";
        case command::send: return "SEND";
        case command::reject: return "REJECT";
        case command::goodbye: return "GOODBYE";
        case command::welcome: return "WELCOME";
        case command::deliver: return "DELIVER";
        case command::error: return "ERROR";
        case command::stop: return "STOP";
        case command::hello_again: return "HELLO_AGAIN";
    }
    return "UNKNOWN";
}

std::string target::encode() const {
    std::string out;
    out.reserve(1 + value.size());
    out.push_back(static_cast<char>(kind));
    out.append(value);
    return out;
}

std::optional<target> target::parse(std::string_view frame) {
    if (frame.empty()) return std::nullopt;
    target t;
    t.value = std::string{frame.substr(1)};
    switch (frame[0]) {
        case '*':
            t.kind = target_kind::all;
            if (!t.value.empty()) return std::nullopt;
            return t;
        case 'R': t.kind = target_kind::role; break;
        case '?': t.kind = target_kind::any; break;
        case 'I': t.kind = target_kind::id; break;
        case 'P': {
            t.kind = target_kind::pid;
            std::int64_t pid = 0;
            auto [end, ec] = std::from_chars(t.value.data(), t.value.data() + t.value.size(), pid);
            if (ec != std::errc{} || end != t.value.data() + t.value.size() || pid <= 0) {
                return std::nullopt;
            }
            return t;
        }
        default: return std::nullopt;
    }
    if (t.value.empty()) return std::nullopt;
    return t;
}

std::string target::describe() const {
    switch (kind) {
        case target_kind::all: return "all";
        case target_kind::role: return fmt::format("all('{}')", value);
        case target_kind::any: return fmt::format("any('{}')", value);
        case target_kind::pid: return fmt::format("pid({})", value);
        case target_kind::id: return fmt::format("id('{}')", value);
    }
    return "?";
}

std::string encode_seq(std::uint64_t seq) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(seq >> (8 * i));
    return out;
}

std::optional<std::uint64_t> parse_seq(std::string_view frame) {
    if (frame.size() != 8) return std::nullopt;
    std::uint64_t seq = 0;
    for (int i = 0; i < 8; ++i) {
        seq |= std::uint64_t{static_cast<unsigned char>(frame[static_cast<std::size_t>(i)])}
               << (8 * i);
    }
    return seq;
}

std::size_t body_frames(command c) noexcept {
    switch (c) {
        case command::hello: return 1;
        case command::ready: return 0;
        case command::heartbeat: return 0;
        case command::send: return 5;
        case command::reject: return 3;
        case command::goodbye: return 0;
        case command::welcome: return 1;
        case command::deliver: return 5;
        case command::error: return 2;
        case command::stop: return 0;
        case command::hello_again: return 0;
    }
    return 0;
}

namespace {
bool from_worker(command c) {
    switch (c) {
        case command::hello:
        case command::ready:
        case command::heartbeat:
        case command::send:
        case command::reject:
        case command::goodbye: return true;
        default: return false;
    }
}
bool from_broker_side(command c) {
    switch (c) {
        case command::welcome:
        case command::deliver:
        case command::error:
        case command::heartbeat:
        case command::stop:
        case command::hello_again: return true;
        default: return false;
    }
}
}  // namespace

envelope check_envelope(std::span<const zmq::message_t> frames, bool from_broker) {
    envelope env;
    auto fail = [&](errc code, std::string why) {
        env.code = code;
        env.reason = std::move(why);
        return env;
    };
    if (frames.size() < 2) return fail(errc::bad_frame, "fewer than 2 frames");
    auto head = view(frames[0]);
    if (head != header) {
        if (head.size() == header.size() && head.substr(0, 3) == header_family) {
            return fail(errc::bad_version,
                        fmt::format("protocol version '{}' (this side speaks {})", head, header));
        }
        return fail(errc::bad_frame, "no MOB1 header frame");
    }
    if (frames[1].size() != 1) return fail(errc::bad_frame, "command frame is not one byte");
    auto c = static_cast<command>(*static_cast<const std::uint8_t*>(frames[1].data()));
    if (!(from_broker ? from_broker_side(c) : from_worker(c))) {
        return fail(errc::bad_frame,
                    fmt::format("unknown command 0x{:02x}",
                                *static_cast<const std::uint8_t*>(frames[1].data())));
    }
    env.cmd = c;
    if (frames.size() - 2 != body_frames(c)) {
        return fail(errc::bad_frame, fmt::format("{} with {} body frames, expected {}",
                                                 to_string(c), frames.size() - 2, body_frames(c)));
    }
    return env;
}

}  // namespace mob::protocol::v1
