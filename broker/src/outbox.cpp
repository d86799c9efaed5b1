#include "outbox.hpp"

#include "mob/log.hpp"

namespace mob::detail {
namespace proto = mob::protocol;

namespace {
// Log the 1st..10th, then every 10th..100th, ... occurrence: a flood never floods the log.
bool worth_logging(std::uint64_t n) {
    std::uint64_t step = 1;
    while (n > step * 10)
        step *= 10;
    return n % step == 0;
}
}  // namespace

send_result outbox::send(std::string_view id, frames& body) {
    zmq::message_t address{id.data(), id.size()};
    ++sends_;
    try {
        if (!socket_.send(address, zmq::send_flags::sndmore | zmq::send_flags::dontwait))
            return send_result::full;
    } catch (const zmq::error_t& e) {
        if (e.num() != EHOSTUNREACH)
            log::error("send to {} failed: {}", id, e.what());
        return send_result::unreachable;
    }
    for (std::size_t i = 0; i < body.size(); ++i) {
        auto flags = zmq::send_flags::dontwait;
        if (i + 1 < body.size())
            flags = flags | zmq::send_flags::sndmore;
        // After the first frame the message is committed to that peer's pipe.
        (void)socket_.send(body[i], flags);
    }
    return send_result::sent;
}

send_result outbox::send_error(std::string_view id, std::uint64_t seq, errc code,
                               std::string text) {
    auto f = proto::make_error(seq, proto::error_body{code, std::move(text)});
    auto r = send(id, f);
    if (r == send_result::sent)
        ++stats_.errors_sent;
    return r;
}

send_result outbox::send_failed_result(std::string_view id, std::uint64_t call_id, errc code,
                                       std::string_view text) {
    auto f = proto::make_failed_result(call_id, code, text);
    auto r = send(id, f);
    if (r == send_result::sent)
        ++stats_.errors_sent;
    return r;
}

void outbox::drop(std::string_view from, std::string_view reason, std::string_view detail) {
    auto n = ++stats_.dropped[std::string{reason}];
    if (worth_logging(n))
        log::warn("dropped a message from '{}': {}: {} ({} so far)", from, reason, detail, n);
}

}  // namespace mob::detail
