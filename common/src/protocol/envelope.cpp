// The envelope check both sides run first on every message, from the command table.
#include "mob/protocol/envelope.hpp"

#include "mob/protocol/fields.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mob::protocol::v1 {

zmq::message_t header_frame(command c) {
    zmq::message_t m{header.size() + 1};
    auto* out = static_cast<char*>(m.data());
    std::copy(header.begin(), header.end(), out);
    out[header.size()] = static_cast<char>(c);
    return m;
}

frames make_message(command c, std::initializer_list<std::string_view> parts) {
    frames f;
    f.reserve(1 + std::max(parts.size(), body_frames(c)));
    f.push_back(header_frame(c));
    for (auto part : parts)
        f.emplace_back(part.data(), part.size());
    return f;
}

std::optional<command> command_of(const zmq::message_t& frame) noexcept {
    auto v = view(frame);
    if (v.size() != header.size() + 1 || v.substr(0, header.size()) != header)
        return std::nullopt;
    return static_cast<command>(static_cast<std::uint8_t>(v[header.size()]));
}

envelope check_envelope(std::span<const zmq::message_t> msg, bool from_broker) {
    envelope env;
    auto fail = [&](errc code, std::string why, std::string_view kind) {
        env.code = code;
        env.reason = std::move(why);
        env.kind = kind;
        return env;
    };
    if (msg.empty())
        return fail(errc::bad_frame, "no frames", "malformed");
    auto head = view(msg[0]);
    if (head.size() == header.size() + 1 && head.substr(0, 3) == header_family) {
        // A SEND of any version keeps its seq first, so the ERROR can name it.
        if (static_cast<command>(static_cast<std::uint8_t>(head[header.size()])) == command::send &&
            msg.size() > 1) {
            env.seq = parse_seq(view(msg[1])).value_or(0);
        }
    }
    if (head.size() != header.size() + 1 || head.substr(0, header.size()) != header) {
        if (head.size() == header.size() + 1 && head.substr(0, 3) == header_family) {
            return fail(errc::bad_version,
                        fmt::format("protocol version '{}' (this side speaks {})",
                                    head.substr(0, header.size()), header),
                        "bad_version");
        }
        return fail(errc::bad_frame, "no MOB1 header frame", "malformed");
    }
    const auto byte = static_cast<std::uint8_t>(head[header.size()]);
    const auto* info = find_command(byte);
    const auto way = from_broker ? direction::to_worker : direction::to_broker;
    if (info == nullptr ||
        (static_cast<std::uint8_t>(info->dir) & static_cast<std::uint8_t>(way)) == 0)
        return fail(errc::bad_frame, fmt::format("unknown command 0x{:02x}", byte),
                    "unknown_command");
    env.cmd = info->code;
    const auto body = msg.size() - 1;
    if (body < info->body_frames || body > info->body_frames + info->optional_frames) {
        return fail(
            errc::bad_frame,
            fmt::format("{} with {} body frames, expected {}{}", info->name, body,
                        info->body_frames,
                        info->optional_frames > 0
                            ? fmt::format(" to {}", info->body_frames + info->optional_frames)
                            : std::string{}),
            body < info->body_frames ? "short" : "long");
    }
    return env;
}

}  // namespace mob::protocol::v1
