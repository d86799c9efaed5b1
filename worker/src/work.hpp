// What other threads hand the I/O thread through the outbox: a message to send, a call
// to track then send, a callback to register or drop, an export, the READY request, a
// task for the dispatcher. Each is one node of the outbox's lock-free queue; the I/O
// thread applies them in the order each producer pushed them (a callback is registered
// before the CALL that carries it leaves, an export before the READY that lists it).
#pragma once

#include "export_table.hpp"
#include "mob/detail/rpc_core.hpp"
#include "mob/protocol.hpp"
#include "mpsc_queue.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace mob::detail {

using time_point = std::chrono::steady_clock::time_point;

/// A message to send as it is.
struct outgoing_message {
    protocol::frames f;
};
/// A CALL (or SCALE) whose RESULT completes `state`: tracked before it leaves.
struct outgoing_call {
    std::uint64_t id = 0;
    protocol::frames f;
    std::shared_ptr<call_state> state;
    time_point deadline;
    std::vector<std::uint64_t> callbacks;  ///< made for its arguments
};
struct new_callback {
    std::uint64_t id = 0;
    std::shared_ptr<callback_local> cb;
    time_point deadline;
};
/// A callback made here and dropped here uncalled.
struct dropped_callback {
    std::uint64_t id = 0;
};
struct new_export {
    std::string name;
    std::shared_ptr<const export_entry> entry;
};
struct ready_request {};
struct dispatcher_task {
    std::function<void()> fn;
};

struct work : mpsc_node {
    using item_type = std::variant<outgoing_message, outgoing_call, new_callback, dropped_callback,
                                   new_export, ready_request, dispatcher_task>;
    template <typename T>
    explicit work(T&& t) : item(std::forward<T>(t)) {}
    item_type item;
};

}  // namespace mob::detail
