// The kingpin's TCP endpoint: bound on the same ROUTER as the ipc one, with CURVE and
// the ZAP handler (or, asked for, without), and the refusals its monitor reports.
#include "kingpin_state.hpp"
#include "mob/curve.hpp"
#include "mob/endpoint.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace mob::detail {

void kingpin::secure_tcp() {
    // libzmq copies a socket's options into each listener when it binds: the ipc
    // endpoint, bound before, keeps the NULL mechanism (it is private to this user,
    // docs/security.md); the TCP one gets CURVE. The ZAP handler comes first: a CURVE
    // server with none bound in its context admits every client key.
    const auto keys = curve::read_secret_file(config_.curve.secret_file);
    allowed_.emplace(config_.curve.allow_dir);
    zap_.emplace(context_, *allowed_, refusals_);
    socket_.set(zmq::sockopt::curve_server, true);
    socket_.set(zmq::sockopt::curve_secretkey, zmq::buffer(keys.secret_key));
    socket_.set(zmq::sockopt::zap_domain, zap_handler::domain);
    tcp_security_ = "curve";
    log::info("CURVE on TCP: broker key {} ({}), {} worker key{} admitted from {}",
              curve::key_name(config_.curve.secret_file), curve::z85(keys.public_key),
              allowed_->size(), allowed_->size() == 1 ? "" : "s", allowed_->dir().string());
}

void kingpin::bind_tcp(const std::string& endpoint) {
    check_tcp_endpoint(endpoint, endpoint_use::bind, "TCP endpoint");
    // An unfinished handshake (a peer that connects and says nothing) is dropped.
    socket_.set(zmq::sockopt::handshake_ivl,
                static_cast<int>(config_.curve.handshake_timeout.count()));
    if (config_.tcp_insecure)
        tcp_security_ = "insecure";
    else
        secure_tcp();
    // A socket systemd passed as "mob" is the endpoint: libzmq 4.3 listens on it
    // (ZMQ_USE_FD, copied into this bind alone) and ignores the endpoint's address.
    const int passed = activated_.take(socket_activation::tcp_name);
    if (passed >= 0)
        socket_.set(zmq::sockopt::use_fd, passed);
    // The same ROUTER binds twice: local and external workers are one set of peers.
    try {
        socket_.bind(endpoint);
    } catch (const zmq::error_t& e) {
        if (passed >= 0)
            ::close(passed);
        throw error(fmt::format("cannot bind {}: {}", endpoint, e.what()));
    }
    if (passed >= 0)
        socket_.set(zmq::sockopt::use_fd, -1);
    tcp_endpoint_ = socket_.get(zmq::sockopt::last_endpoint);  // port 0 becomes the real one
    if (passed >= 0) {
        log::info("TCP endpoint {} is the socket systemd passed as '{}' (descriptor {})",
                  tcp_endpoint_, socket_activation::tcp_name, passed);
    }
    if (config_.tcp_insecure) {
        log::warn(
            "listening on {} for external workers WITHOUT authentication or encryption "
            "(asked for: insecure): anyone who reaches it can join as any role; trusted "
            "networks only (docs/security.md)",
            tcp_endpoint_);
    } else {
        log::info("listening on {} for external workers (CURVE: admitted keys only)",
                  tcp_endpoint_);
    }
}

void kingpin::note_handshake(const socket_monitor::event& e, clock::time_point now) {
    // Only the TCP endpoint's: ipc peers are this user's own processes.
    if (tcp_endpoint_.empty() || !std::string_view{e.endpoint}.starts_with("tcp://"))
        return;
    const std::string_view kind = e.kind;
    if (kind == "handshake_failed_protocol") {
        // A NULL or PLAIN peer at a CURVE endpoint (or the reverse) fails on the greeting.
        if (e.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
            refusals_.refuse(
                "not_curve", e.endpoint,
                fmt::format("a peer on {} that {}", e.endpoint,
                            tcp_security_ == "curve" ? "does not speak CURVE (no key, or PLAIN)"
                                                     : "speaks another mechanism than NULL"),
                now);
        } else {
            refusals_.refuse("bad_handshake", e.endpoint,
                             fmt::format("a peer on {} whose handshake broke the protocol (0x{:x})",
                                         e.endpoint, e.value),
                             now);
        }
    } else if (kind == "handshake_failed_no_detail") {
        refusals_.refuse(
            "handshake_failed", e.endpoint,
            fmt::format("a peer on {} whose handshake timed out or was cut off", e.endpoint), now);
    }
}

}  // namespace mob::detail
