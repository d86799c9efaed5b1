// What a mobster receives: a message under a topic, and the report of a message it
// sent that could not be delivered or handled.
#pragma once

#include "mob/codec.hpp"
#include "mob/error.hpp"

#include <cstdint>
#include <string>

namespace mob {

/// A delivered message as the catch-all handler sees it: topic, sender, raw payload.
struct message {
    std::string topic;
    std::string type;    ///< the payload's type name, as the sender spelled it
    std::string sender;  ///< the sender's worker id ("role/pid@host#nonce")
    std::uint64_t seq = 0;
    std::string payload;  ///< cereal portable-binary bytes

    /// Decodes the payload; throws mob::error(errc::bad_type) if it is not a T.
    template <typename T>
    T as() const {
        return decode<T>(payload);
    }
    /// The sender's role and pid, read from its id.
    std::string sender_role() const;
    std::int64_t sender_pid() const;
};

/// A message this worker sent that came back: to whom, and why.
struct send_error {
    std::uint64_t seq = 0;  ///< what send() returned
    errc code = errc::ok;
    std::string message;
};

}  // namespace mob
