// mob::detail::core_link: what a proxy, a call_future, a reply or a callback holds of its
// worker, and may hold after the worker is gone. It owns the outbox through which every
// thread hands work to the I/O thread, the few counters other threads read, and the
// direct path's mutex (direct_sink.hpp); it points at the engine only through `sink`,
// which the I/O thread clears before it ends, so a callback or reply kept after its
// worker was destroyed finds no sink and a closed outbox (its push fails: "the worker is
// gone"), never a dangling pointer, and no thread ever waits for a lock on the way.
#pragma once

#include "direct_sink.hpp"
#include "outbox.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace mob::detail {

struct core_link {
    /// worker_options' bounds on what may wait here.
    struct bounds {
        std::size_t outgoing;
        std::size_t pending_calls;
        std::size_t callbacks;
        std::size_t message_size;
    };

    core_link(std::string id, std::string worker_role, std::chrono::milliseconds timeout, bounds b)
        : worker_id(std::move(id)),
          role(std::move(worker_role)),
          call_timeout(timeout),
          max_pending_calls(b.pending_calls),
          max_callbacks(b.callbacks),
          max_message_size(b.message_size),
          box(b.outgoing) {}

    const std::string worker_id;  ///< the origin of the callbacks made here
    const std::string role;
    const std::chrono::milliseconds call_timeout;  ///< of calls that set none
    const std::size_t max_pending_calls;
    const std::size_t max_callbacks;
    const std::size_t max_message_size;

    std::atomic<std::uint64_t> next_seq{1};          ///< seqs and call ids
    std::atomic<std::uint64_t> next_callback_id{1};  ///< ids of callbacks made here
    /// Calls started and not yet answered, and callbacks made and not yet forgotten:
    /// counted up by the thread that makes one, down by the I/O thread as it drops it
    /// (before completing the call, so a caller that sees its result sees it counted).
    std::atomic<std::size_t> pending_calls{0};
    std::atomic<std::size_t> pending_callbacks{0};
    /// The I/O thread: waiting there for a result of this worker's would never end.
    std::atomic<std::thread::id> io_thread{};

    outbox box;

    /// Held by the I/O thread whenever it is awake; a sender that gets it with try_lock()
    /// may send through `sink` (direct_sink.hpp).
    std::mutex io_mutex;
    direct_sink* sink = nullptr;  ///< io_mutex; set while the I/O loop runs
};

}  // namespace mob::detail
