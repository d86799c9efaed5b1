// Encodings of the v1 fields: targets, sequence numbers, deltas, call heads, outcomes.
#include "mob/protocol/fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace mob::protocol::v1 {

std::string target::encode() const {
    std::string out;
    out.reserve(1 + value.size());
    out.push_back(static_cast<char>(kind));
    out.append(value);
    return out;
}

std::optional<target> target::parse(std::string_view frame) {
    if (frame.empty())
        return std::nullopt;
    target t;
    t.value = std::string{frame.substr(1)};
    switch (frame[0]) {
        case '*':
            t.kind = target_kind::all;
            if (!t.value.empty())
                return std::nullopt;
            return t;
        case 'R':
            t.kind = target_kind::role;
            break;
        case '?':
            t.kind = target_kind::any;
            break;
        case 'I':
            t.kind = target_kind::id;
            break;
        case 'P': {
            t.kind = target_kind::pid;
            std::int64_t pid = 0;
            auto [end, ec] = std::from_chars(t.value.data(), t.value.data() + t.value.size(), pid);
            if (ec != std::errc{} || end != t.value.data() + t.value.size() || pid <= 0) {
                return std::nullopt;
            }
            return t;
        }
        default:
            return std::nullopt;
    }
    if (t.value.empty())
        return std::nullopt;
    return t;
}

std::string target::describe() const {
    switch (kind) {
        case target_kind::all:
            return "all";
        case target_kind::role:
            return fmt::format("all('{}')", value);
        case target_kind::any:
            return fmt::format("any('{}')", value);
        case target_kind::pid:
            return fmt::format("pid({})", value);
        case target_kind::id:
            return fmt::format("id('{}')", value);
    }
    return "?";
}

namespace {
void put_le(char* out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out[i] = static_cast<char>(v >> (8 * i));
}
std::uint64_t get_le(const char* in, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
    return v;
}
}  // namespace

std::string encode_seq(std::uint64_t seq) {
    std::string out(8, '\0');
    put_le(out.data(), seq, 8);
    return out;
}

std::optional<std::uint64_t> parse_seq(std::string_view frame) {
    if (frame.size() != 8)
        return std::nullopt;
    return get_le(frame.data(), 8);
}

std::string encode_delta(std::int32_t delta) {
    std::string out(4, '\0');
    put_le(out.data(), static_cast<std::uint32_t>(delta), 4);
    return out;
}

std::optional<std::int32_t> parse_delta(std::string_view frame) {
    if (frame.size() != 4)
        return std::nullopt;
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(get_le(frame.data(), 4)));
}

zmq::message_t call_head::encode() const {
    if (role.size() > max_name || method.size() > max_name) {
        throw std::length_error(fmt::format("role and method names are at most {} bytes: '{}.{}'",
                                            max_name, role, method));
    }
    zmq::message_t m{fixed_size + role.size() + method.size() + types.size()};
    auto* out = static_cast<char*>(m.data());
    put_le(out, id, 8);
    out[8] = static_cast<char>(options.flags);
    put_le(out + 9, options.timeout_ms, 4);
    out += 13;
    *out++ = static_cast<char>(role.size());
    out = std::copy(role.begin(), role.end(), out);
    *out++ = static_cast<char>(method.size());
    out = std::copy(method.begin(), method.end(), out);
    std::copy(types.begin(), types.end(), out);
    return m;
}

std::optional<call_head> call_head::parse(std::string_view frame) {
    if (frame.size() < fixed_size)
        return std::nullopt;
    call_head h;
    h.id = get_le(frame.data(), 8);
    h.options.flags = static_cast<std::uint8_t>(frame[8]);
    if ((h.options.flags & ~(call_idempotent | call_oneway | call_report_server)) != 0)
        return std::nullopt;
    h.options.timeout_ms = static_cast<std::uint32_t>(get_le(frame.data() + 9, 4));
    std::size_t at = 13;
    auto name = [&](std::string_view& out) {
        if (at >= frame.size())
            return false;
        std::size_t n = static_cast<unsigned char>(frame[at++]);
        if (frame.size() - at < n)
            return false;
        out = frame.substr(at, n);
        at += n;
        return true;
    };
    if (!name(h.role) || !name(h.method))
        return std::nullopt;
    h.types = frame.substr(at);
    return h;
}

zmq::message_t call_head::with_id(std::string_view frame, std::uint64_t id) {
    if (frame.size() < fixed_size)
        throw std::invalid_argument("call_head::with_id: not a call head");
    zmq::message_t m{frame.data(), frame.size()};
    put_le(static_cast<char*>(m.data()), id, 8);
    return m;
}

zmq::message_t outcome::encode() const {
    zmq::message_t m{fixed_size + type.size()};
    auto* out = static_cast<char*>(m.data());
    put_le(out, id, 8);
    put_le(out + 8, static_cast<std::uint16_t>(code), 2);
    std::copy(type.begin(), type.end(), out + fixed_size);
    return m;
}

std::optional<outcome> outcome::parse(std::string_view frame) {
    if (frame.size() < fixed_size)
        return std::nullopt;
    outcome o;
    o.id = get_le(frame.data(), 8);
    o.code = static_cast<errc>(get_le(frame.data() + 8, 2));
    o.type = frame.substr(fixed_size);
    return o;
}

void patch_id(zmq::message_t& frame, std::uint64_t id) noexcept {
    put_le(static_cast<char*>(frame.data()), id, 8);
}

std::optional<std::uint64_t> leading_id(std::string_view frame) noexcept {
    if (frame.size() < 8)
        return std::nullopt;
    return get_le(frame.data(), 8);
}

}  // namespace mob::protocol::v1
