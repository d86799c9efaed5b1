// http-server.js: every front worker serves "Hello World" on 127.0.0.1:1337 (or
// $HELLO_PORT) and, for each request, sends "foo" to any one back worker.
#include <fmt/format.h>

#include <cstdlib>

#include "http.hpp"
#include "roles.hpp"

void front_main(mob::worker& w) {
    const char* env_port = std::getenv("HELLO_PORT");
    const int port = env_port != nullptr ? std::atoi(env_port) : 1337;
    hello::serve_http(
        "127.0.0.1", port, [&w] { return w.stopping(); },
        [&w](const std::string& path) {
            fmt::print("Server {} served an http request.\n", w.pid());
            std::fflush(stdout);
            // Goes to any one of the back workers: the least recently used.
            w.any("back").send("foo", path);
            return std::string{"Hello World\n"};
        },
        [&w, port] {
            fmt::print("Server {} running at http://127.0.0.1:{}/\n", w.pid(), port);
            std::fflush(stdout);
            w.ready();
        });
}
