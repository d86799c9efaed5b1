// main.js of the original, in C++: the same main runs as the kingpin and as every
// worker; run() decides which.
#include <fmt/format.h>
#include <mob/app.hpp>

#include <cstdlib>
#include <string>

#include "roles.hpp"

namespace {
/// The port of the front's HTTP listener: $HELLO_PORT, else 1337.
std::string http_port() {
    const char* port = std::getenv("HELLO_PORT");
    return port != nullptr ? port : "1337";
}
}  // namespace

int main(int argc, char** argv) {
    // The kingpin binds 127.0.0.1:1337 once; every front worker accepts on that socket.
    const std::string http = "http=127.0.0.1:" + http_port();
    return mob::app("myapp")
        .role("back", back_main, {.workers = 4})
        .role("front", front_main, {.workers = 2, .listen = {http}})
        .on_death([](const mob::death_info& d) {
            // Runs in the kingpin, for logging and alerting only.
            fmt::print(stderr, "alert: {} worker {} died ({} so far)\n", d.role, d.pid, d.deaths);
        })
        .run(argc, argv);
}
