// Pushing work into a worker's outbox from any thread, with the errors a caller gets
// when it cannot go: queue_full past worker_options::max_outgoing, shutting_down once
// the worker is gone. Used by the engine's API and by the entry points the templates
// call (link_api.cpp).
#pragma once

#include "core_link.hpp"
#include "mob/protocol.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace mob::detail {

/// Queues a message; throws mob::error (queue_full, or shutting_down saying `gone`).
void push_message(core_link& link, protocol::frames f,
                  std::string_view gone = "the worker is gone: nothing can be sent");
/// Counts the call pending, then queues it (the I/O thread tracks it, then sends it);
/// throws like push_message, uncounted again.
void push_call(core_link& link, outgoing_call call);
/// Sends or queues `item`; throws like push_message.
void push_or_throw(core_link& link, work::item_type item, std::string_view gone);
/// Queues `w`, or drops it (false) if the worker is gone or its outbox is full.
bool push_work(core_link& link, std::unique_ptr<work> w);

/// A call's shared state, named `what` ("role.method") for its messages.
std::shared_ptr<call_state> new_call_state(const std::shared_ptr<core_link>& link, std::uint64_t id,
                                           std::string what);

/// "role.method", the name a call goes by in its error messages: made for every call
/// made and served, so appended, not formatted (fmt's parsing costs more than the copy).
inline std::string qualified_name(std::string_view role, std::string_view method) {
    std::string name;
    name.reserve(role.size() + 1 + method.size());
    name.append(role).append(1, '.').append(method);
    return name;
}

}  // namespace mob::detail
