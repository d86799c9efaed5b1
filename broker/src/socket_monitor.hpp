// The ZeroMQ monitor of a socket: libzmq reports connections, disconnections and
// handshakes on an inproc PAIR socket, which the kingpin's loop polls beside the others.
// (cppzmq's monitor_t loops on its own; we poll the PAIR ourselves.)
#pragma once

#include "event_log.hpp"

#include <zmq.hpp>

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

    zmq::socket_ref pair() { return pair_; }
    /// Reads the pending events into `log` (logged at debug level too).
    void drain(event_log& log);

  private:
    zmq::socket_ref watched_;
    zmq::socket_t pair_;
};

/// "accepted", "disconnected", ... for a ZMQ_EVENT_* value.
const char* monitor_event_name(std::uint16_t event);

}  // namespace mob::detail
