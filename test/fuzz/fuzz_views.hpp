// Every view of the protocol module, on one message: what a worker and what the broker
// would read of it, whether or not it makes sense to either. The fuzz target gives each
// message it sends to this before the broker gets it, so the envelope check, the
// parsers and the payload decoder meet every input, whatever state the broker is in.
#pragma once

#include "mob/protocol.hpp"

namespace mob::fuzz {

/// Runs check_envelope() as both sides do, then the view of the command (when the
/// envelope passed, as the views require), then the payload decoder on every frame.
void read_as_either_side(protocol::frames f);

}  // namespace mob::fuzz
