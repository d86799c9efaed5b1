// Errors in mob have two shapes (see docs/protocol.md, "Errors"):
// set-up failures throw mob::error; anything that crosses the wire is a value,
// an error code plus a message, carried back to whoever sent the request.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mob {

/// Error codes that travel on the wire. Values are part of protocol v1: never renumber.
enum class errc : std::uint16_t {
    ok = 0,
    bad_frame = 1,          ///< a frame was short, malformed or of an unknown command
    bad_version = 2,        ///< the peer speaks another protocol version
    unknown_role = 3,       ///< no role of that name in the app
    unknown_pid = 4,        ///< no worker with that pid
    ambiguous_pid = 5,      ///< several workers share that pid (different hosts)
    no_ready_worker = 6,    ///< the role exists but has no ready worker to take it
    queue_full = 7,         ///< the broker's queue for that role is full
    expired = 8,            ///< it waited in the broker past its deadline
    bad_type = 9,           ///< the payload does not decode as the receiver's type
    no_handler = 10,        ///< the receiver has no handler for that topic
    handler_failed = 11,    ///< the receiver's handler threw
    shutting_down = 12,     ///< the kingpin is stopping
    not_a_mobster = 13,     ///< an application call made on the kingpin
    unknown_worker = 14,    ///< no worker with that id
    not_registered = 15,    ///< the broker does not know the sender: it must say HELLO first
    wrong_app = 16,         ///< the worker belongs to another app than the broker serves
    unknown_method = 17,    ///< the role exports no function of that name
    remote_exception = 18,  ///< the remote function threw (type and what() in the message)
    worker_died = 19,       ///< the worker serving the call died with it in flight
    timeout = 20,           ///< no result within the call's timeout
    callback_used = 21,     ///< a callback was called a second time
    origin_gone = 22,       ///< the process a callback came from is gone
    callback_expired = 23,  ///< a callback was called after its deadline, or released
    broker_lost = 24,  ///< the caller lost its broker with the call in flight (never on the wire)
    fates_lost = 25,   ///< the broker could not keep the ERRORs/RESULTs it owed (LOST)
    key_not_allowed = 26,  ///< the worker's CURVE key may not serve that role
    too_large = 27,        ///< a message over max_message_size (the broker's or the worker's)
};

/// A readable name for an error code, e.g. "unknown_role".
std::string_view to_string(errc code) noexcept;

/// Thrown for set-up failures a user can act on: bad role options, a bind that
/// fails, a second kingpin on the same runtime directory, an application call on
/// the kingpin.
class error : public std::runtime_error {
  public:
    explicit error(const std::string& what, errc code = errc::ok)
        : std::runtime_error(what), code_(code) {}
    errc code() const noexcept { return code_; }

  private:
    errc code_;
};

}  // namespace mob
