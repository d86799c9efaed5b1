// Just enough HTTP/1.0 for the example: accept, read the request line, answer.
#pragma once

#include <functional>
#include <string>

namespace hello {

/// Serves on `listener`, a listening socket shared by every front worker (the kingpin
/// bound it), until `stopping()` is true. `handle` gets the request path and returns
/// the body of a 200 text/plain answer; `listening` is called once before the loop.
void serve_http(int listener, const std::function<bool()>& stopping,
                const std::function<std::string(const std::string& path)>& handle,
                const std::function<void()>& listening);

/// "127.0.0.1:1337": the address `listener` is bound to.
std::string local_address(int listener);

}  // namespace hello
