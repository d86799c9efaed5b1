#include "fuzz_messages.hpp"

#include <string>

namespace mob::fuzz {
namespace {

namespace proto = mob::protocol;
using proto::command;

zmq::message_t frame_of(std::string_view bytes) {
    return zmq::message_t{bytes.data(), bytes.size()};
}
std::int64_t pick_pid(input& in) {
    return pids[in.byte() % pids.size()];
}
std::string_view pick_role(input& in) {
    return roles[in.byte() % roles.size()];
}
/// A peer's routing id, or one nobody has.
std::string pick_id(input& in, const message_context& ctx) {
    auto b = in.byte();
    return b < 200 ? ctx.peer_ids[b % ctx.peer_ids.size()] : std::string{"nobody"};
}

}  // namespace

proto::frames message_from(op o, input& in, const message_context& ctx) {
    switch (o) {
        case op::hello: {
            const auto c = in.byte();
            proto::hello h;
            h.app = std::array<std::string, 3>{"app", "", "other"}[(c & 3) % 3];
            h.role = roles[(c >> 2) & 3];
            h.pid = pids[(c >> 4) & 3];
            h.spawned = (c & 0x40) != 0;
            h.host = (c & 0x80) != 0 ? "elsewhere" : ctx.host;
            h.credit = in.byte();
            return proto::make_hello(h);
        }
        case op::ready: {
            proto::ready r;
            r.credit = in.byte() % 5;
            const auto mask = in.byte();
            for (std::size_t i = 0; i < methods.size(); ++i) {
                if ((mask >> i) & 1)
                    r.exports.emplace_back(methods[i]);
            }
            return proto::make_ready(r);
        }
        case op::call: {
            const std::uint64_t id = in.byte();
            const proto::call_options options{in.byte(), in.byte() * 20u};
            auto role = pick_role(in);
            auto method = methods[in.byte() % methods.size()];
            auto args = in.blob();
            return proto::make_call(proto::call_head{id, options, role, method, "ii"},
                                    frame_of(args));
        }
        case op::reply: {
            const auto which = in.byte();
            const auto code = static_cast<errc>(in.byte() % 32);
            std::uint64_t ticket = in.number(1);
            if (!ctx.tickets.empty() && which < 224)
                ticket = ctx.tickets[which % ctx.tickets.size()];
            return proto::make_reply(proto::outcome{ticket, code, "int"}, frame_of(in.blob()));
        }
        case op::send: {
            const std::uint64_t seq = in.byte();
            proto::target to;
            switch (in.byte() % 6) {
                case 0:
                    break;
                case 1:
                    to = {proto::target_kind::role, std::string{pick_role(in)}};
                    break;
                case 2:
                    to = {proto::target_kind::any, std::string{pick_role(in)}};
                    break;
                case 3:
                    to = {proto::target_kind::pid, std::to_string(pick_pid(in))};
                    break;
                case 4:
                    to = {proto::target_kind::id, pick_id(in, ctx)};
                    break;
                default:
                    to = {proto::target_kind::pid, std::string{in.blob()}};
                    break;
            }
            return proto::make_send(seq, to, "topic", "int", frame_of(in.blob()));
        }
        case op::invoke: {
            const std::uint64_t seq = in.byte();
            auto origin = pick_id(in, ctx);
            const std::uint64_t cb = in.byte();
            return proto::make_invoke(seq, origin, cb, "int", frame_of(in.blob()));
        }
        case op::release: {
            auto origin = pick_id(in, ctx);
            return proto::make_release(origin, in.byte());
        }
        case op::reject: {
            auto to = pick_id(in, ctx);
            const std::uint64_t seq = in.byte();
            const auto code = static_cast<errc>(in.byte() % 32);
            return proto::make_reject(to, seq, proto::error_body{code, "no"});
        }
        case op::scale: {
            const std::uint64_t id = in.byte();
            auto role = pick_role(in);
            const auto delta = static_cast<std::int8_t>(in.byte());
            return proto::make_scale(id, role, delta);
        }
        case op::signal: {
            const auto b = in.byte();
            const auto c = b < 128 ? (b & 1 ? command::goodbye : command::heartbeat)
                                   : proto::commands[b % proto::commands.size()].code;
            return proto::make_signal(c);
        }
        default:
            return proto::make_signal(command::heartbeat);
    }
}

proto::frames raw_message(std::uint8_t b, input& in) {
    proto::frames f;
    std::size_t frames = 1 + in.byte() % 8;
    switch ((b >> 2) & 3) {
        case 0:
            break;
        case 1: {
            const char h[] = {'M', 'O', 'B', '1', static_cast<char>(in.byte())};
            f.push_back(frame_of({h, sizeof h}));
            break;
        }
        case 2: {
            const char h[] = {'M', 'O', 'B', static_cast<char>(in.byte()),
                              static_cast<char>(in.byte())};
            f.push_back(frame_of({h, sizeof h}));
            break;
        }
        default: {
            const auto& c = proto::commands[in.byte() % proto::commands.size()];
            f.push_back(proto::header_frame(c.code));
            frames = c.body_frames;
            break;
        }
    }
    for (std::size_t i = 0; i < frames; ++i)
        f.push_back(frame_of(in.blob()));
    return f;
}

}  // namespace mob::fuzz
