// The direct path: a thread that sends (a message, a call, a reply) while the I/O thread
// sleeps uses the socket itself for that moment, instead of waking the I/O thread to do
// it. A plain call then crosses two threads fewer (the caller's hand-off to its I/O
// thread, and the server's reply from its dispatcher to its I/O thread): on a busy
// machine each hand-off is a wake-up that waits for a CPU (docs/performance.md).
//
// ZeroMQ lets a socket move between threads with a full memory barrier in between; one
// thread at a time uses it. core_link::io_mutex is that barrier: the I/O thread holds it
// whenever it is awake and lets go only while it sleeps in poll(2), and a sender that
// takes it with try_lock() may act as the I/O thread until it lets go. It never waits
// for it: when the I/O thread is busy, the work goes through the outbox as before (the
// I/O thread is awake and takes it).
#pragma once

#include "work.hpp"

namespace mob::detail {

class direct_sink {
  public:
    /// Called with core_link::io_mutex held. Sends `w` (an outgoing message or call) now,
    /// after whatever waits in the outbox; false, with `w` untouched, if it must wait its
    /// turn there (the socket is not taking messages, or a producer is still linking one).
    virtual bool send_direct(work& w) = 0;

  protected:
    ~direct_sink() = default;
};

}  // namespace mob::detail
