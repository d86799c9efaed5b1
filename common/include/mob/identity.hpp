// Who a worker is on the wire. A routing id made of role, pid, host and a per-start
// nonce stays unique across hosts, containers (where every process may be pid 1) and
// restarts; libzmq 4.3 silently accepts duplicate ids, so this matters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mob {

/// This machine's host name (gethostname), "localhost" if it has none.
std::string local_hostname();

/// A random 64-bit value from the OS, never 0.
std::uint64_t random_nonce();

/// "role/pid@host#nonce", cut to fit ZeroMQ's 255-byte routing id limit.
std::string make_routing_id(std::string_view role, std::int64_t pid, std::string_view host,
                            std::uint64_t nonce);

/// Role names match [A-Za-z0-9_.-]+, as in the original mob.
bool valid_role_name(std::string_view name) noexcept;

}  // namespace mob
