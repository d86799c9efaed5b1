// Just enough HTTP/1.0 for the example: accept, read the request line, answer.
#pragma once

#include <functional>
#include <string>

namespace hello {

/// Listens on host:port (SO_REUSEPORT, so every front worker binds the same port and
/// the kernel spreads connections) and serves until `stopping()` is true. `handle`
/// gets the request path and returns the body of a 200 text/plain answer.
void serve_http(const std::string& host, int port, const std::function<bool()>& stopping,
                const std::function<std::string(const std::string& path)>& handle,
                const std::function<void()>& listening);

}  // namespace hello
