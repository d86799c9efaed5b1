#include "zap_handler.hpp"

#include "mob/detail/text_file.hpp"
#include "mob/error.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>

#include <cstring>
#include <iterator>

namespace mob::detail {

zap_handler::zap_handler(zmq::context_t& context, curve_allow_list& keys, refusal_log& refusals)
    : keys_(keys), refusals_(refusals), socket_(context, zmq::socket_type::rep) {
    socket_.set(zmq::sockopt::linger, 0);
    try {
        socket_.bind("inproc://zeromq.zap.01");
    } catch (const zmq::error_t& e) {
        throw error(fmt::format("cannot bind the ZAP handler: {}", e.what()));
    }
}

void zap_handler::handle_incoming(clock::time_point now) {
    // A REP socket takes the next request only after the last is answered, so each
    // is answered at once; the loop ends on a read that finds nothing, which rearms
    // the socket's descriptor for the kingpin's poll.
    for (int i = 0; i < 256; ++i) {
        frames request;
        if (!zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait))
            return;
        answer(request, now);
    }
}

void zap_handler::answer(frames& request, clock::time_point now) {
    auto text = [&](std::size_t i) {
        return i < request.size() ? request[i].to_string() : std::string{};
    };
    // RFC 27: version, request id, domain, address, identity, mechanism, credentials.
    const auto request_id = text(1);
    const auto domain_name = text(2);
    const auto address = text(3);
    const auto mechanism = text(5);
    std::string status = "400";
    std::string status_text;
    std::string user_id;
    if (request.size() < 6 || text(0) != "1.0") {
        status = "500";
        status_text = "malformed ZAP request";
        log::error("ZAP: a malformed request ({} frames)", request.size());
    } else if (mechanism == "NULL" && domain_name.empty()) {
        // The ipc endpoint (no ZAP domain): private to this user, admitted as ever.
        status = "200";
        status_text = "OK";
    } else if (mechanism != "CURVE" || domain_name != domain || request.size() != 7 ||
               request[6].size() != curve::key{}.size()) {
        status_text = "only CURVE is admitted";
        refusals_.refuse(
            "not_curve", address,
            fmt::format("a peer from {} with the {} mechanism on ZAP domain '{}': "
                        "only CURVE is admitted",
                        address, detail::printable(mechanism), detail::printable(domain_name)),
            now);
    } else {
        curve::key k{};
        std::memcpy(k.data(), request[6].data(), k.size());
        if (const auto* name = keys_.find(k)) {
            status = "200";
            status_text = "OK";
            user_id = *name;
            ++admitted_;
            log::debug("ZAP: admitted CURVE key '{}' from {}", *name, address);
        } else {
            status_text = "unknown key";
            refusals_.refuse(
                "unknown_key", address,
                fmt::format("a worker from {}: its CURVE key {} is not in the allow-list {} (to "
                            "admit it, put its NAME.pub there)",
                            address, curve::z85(k), keys_.dir().string()),
                now);
        }
    }
    const std::string reply[] = {"1.0", request_id, status, status_text, user_id, ""};
    for (std::size_t i = 0; i < std::size(reply); ++i) {
        auto flags = i + 1 < std::size(reply) ? zmq::send_flags::sndmore : zmq::send_flags::none;
        if (!socket_.send(zmq::buffer(reply[i]), flags | zmq::send_flags::dontwait)) {
            log::error("ZAP: could not answer a request");
            return;
        }
    }
}

}  // namespace mob::detail
