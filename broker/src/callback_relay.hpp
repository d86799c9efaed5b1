// Callbacks go back to the process they came from: INVOKE (a worker calls a callback
// it was handed) becomes INVOKED at the callback's origin, RELEASE (the holder dropped
// it) becomes RELEASED there. The broker keeps no callback table: the origin does.
#pragma once

#include "broker_types.hpp"
#include "worker_registry.hpp"

#include <span>

namespace mob::detail {

class callback_relay {
  public:
    explicit callback_relay(worker_registry& workers) : workers_(workers) {}

    /// INVOKE from `from`, whose routing id frame `from_frame` is moved into the INVOKED.
    void on_invoke(worker_entry& from, zmq::message_t& from_frame, std::span<zmq::message_t> msg);
    void on_release(zmq::message_t& from_frame, std::span<zmq::message_t> msg);

  private:
    worker_registry& workers_;
};

}  // namespace mob::detail
