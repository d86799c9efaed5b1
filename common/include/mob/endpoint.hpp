// Checking a TCP endpoint before libzmq sees it. libzmq 4.3.4 reads a port as a number
// and cuts it to 16 bits without a word: "tcp://127.0.0.1:99999" binds port 34463. So
// every tcp:// endpoint mob binds or connects to is checked here first.
#pragma once

#include <string_view>

namespace mob {

enum class endpoint_use { bind, connect };

/// Throws mob::error unless `endpoint` is "tcp://HOST:PORT" with PORT 1..65535 (for a
/// bind also 0 or "*": any free port). `what` names it in the message ("--tcp",
/// "MOB_ENDPOINT"). HOST may be a name, an IPv4 address, "*", or an IPv6 address in
/// brackets.
void check_tcp_endpoint(std::string_view endpoint, endpoint_use use, std::string_view what);

}  // namespace mob
