// Callbacks go back to the process they came from: INVOKE (a worker calls a callback
// it was handed) becomes INVOKED at the callback's origin, RELEASE (the holder dropped
// it) becomes RELEASED there. The broker keeps no callback table: the origin does; it
// only remembers, per worker, whose calls carrying callbacks it took, so that when it
// goes those callers hear of it (HOLDER_GONE) and free what it held.
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
    /// `holder` is being forgotten: every caller whose callbacks it took is told, so
    /// that it frees them (HOLDER_GONE).
    void holder_gone(const worker_entry& holder);

  private:
    worker_registry& workers_;
};

}  // namespace mob::detail
