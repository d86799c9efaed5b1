#include "fuzz_views.hpp"

#include "mob/codec.hpp"

#include <exception>
#include <string>
#include <tuple>
#include <vector>

namespace mob::fuzz {

namespace proto = mob::protocol;
using proto::command;

void read_as_either_side(protocol::frames f) {
    for (bool from_broker : {false, true}) {
        auto env = proto::check_envelope(f, from_broker);
        if (!env.ok())
            continue;
        switch (env.cmd) {
            case command::hello:
                (void)proto::parse_hello(f);
                break;
            case command::ready:
                (void)proto::parse_ready(f);
                break;
            case command::send:
                if (auto s = proto::parse_send(f))
                    (void)std::tuple{s->topic(), s->type(), s->to.describe()};
                break;
            case command::reject:
                (void)proto::parse_reject(f);
                break;
            case command::call:
                if (auto c = proto::parse_call(f))
                    (void)std::tuple{c->head.role(), c->head.method(), c->head.types()};
                break;
            case command::reply:
                (void)proto::parse_reply(f);
                break;
            case command::invoke:
                (void)proto::parse_invoke(f);
                break;
            case command::release:
                (void)proto::parse_release(f);
                break;
            case command::scale:
                (void)proto::parse_scale(f);
                break;
            case command::welcome:
                (void)proto::parse_welcome(f);
                break;
            case command::deliver:
                (void)proto::parse_deliver(f);
                break;
            case command::error:
                (void)proto::parse_error(f);
                break;
            case command::request:
                (void)proto::parse_request(f);
                break;
            case command::result:
                (void)proto::parse_result(f);
                break;
            case command::invoked:
                (void)proto::parse_invoked(f);
                break;
            case command::released:
                (void)proto::parse_released(f);
                break;
            default:
                break;
        }
    }
    // The payload decoder, on whatever the frames hold (a worker decodes bodies so).
    for (const auto& m : f) {
        try {
            (void)decode<std::tuple<int, int>>(proto::bytes(m));
            (void)decode<std::vector<std::string>>(proto::bytes(m));
            (void)decode<crash_report>(proto::bytes(m));
        } catch (const std::exception&) {
        }
    }
}

}  // namespace mob::fuzz
