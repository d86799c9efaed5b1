// The ZeroMQ monitor of a socket: libzmq reports connections, disconnections and
// handshakes on an inproc PAIR socket, which the owner's loop polls beside its others
// (the kingpin's ROUTER, and a worker's DEALER when asked). cppzmq's monitor_t loops
// on its own; we poll the PAIR ourselves.
#pragma once

#include <zmq.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace mob::detail {

class socket_monitor {
  public:
    /// Starts monitoring `socket` (every event) through `context`.
    socket_monitor(zmq::context_t& context, zmq::socket_ref socket, std::string name);
    /// Stops the monitor before closing its PAIR socket, as libzmq requires.
    ~socket_monitor();
    socket_monitor(const socket_monitor&) = delete;
    socket_monitor& operator=(const socket_monitor&) = delete;

    struct event {
        const char* kind;  ///< see monitor_event_name()
        std::uint32_t value;
        std::string endpoint;
    };

    zmq::socket_ref pair() { return pair_; }
    /// The next pending event, if any (never blocks).
    std::optional<event> next();

  private:
    zmq::socket_ref watched_;
    zmq::socket_t pair_;
};

/// "accepted", "disconnected", ... for a ZMQ_EVENT_* value.
const char* monitor_event_name(std::uint16_t event);

}  // namespace mob::detail
