// A worker's side of CURVE (RFC 26): its key pair and the broker's public key, read from
// worker_options (files or text) and set on the DEALER before it connects. Only for a
// tcp:// endpoint: the ipc one is private to the user and speaks NULL.
#pragma once

#include "mob/curve.hpp"
#include "mob/worker.hpp"

#include <zmq.hpp>

#include <optional>
#include <string>

namespace mob::detail {

struct client_keys {
    curve::key_pair own;
    curve::key server{};
    std::string name;  ///< the name of its key file ("alice"), for the logs
};

/// The keys `options` give, or nullopt if they give none. Throws mob::error for an
/// unreadable file, a key of the wrong length, or half of what is needed.
std::optional<client_keys> load_client_keys(const worker_options& options);

/// Sets CURVE (client side) on `socket` with `keys`.
void set_curve_client(zmq::socket_ref socket, const client_keys& keys);

}  // namespace mob::detail
