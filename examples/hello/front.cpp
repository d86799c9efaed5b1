// http-server.js: every front worker serves "Hello World" on the socket the kingpin
// bound for the role (127.0.0.1:1337, or $HELLO_PORT: see main.cpp) and, for each
// request, calls the back role through its proxy.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "http.hpp"
#include "roles.hpp"

using namespace std::chrono_literals;

void front_main(mob::worker& w) {
    // "all http-server processes share the same server handle": the listening socket
    // the kingpin bound for this role (.listen in main.cpp), the same in every front.
    const int listener = w.listener("http");

    // A remoting proxy to the 'back' role's exports.
    auto back = w.require("back");

    auto handle = [&w, back](const std::string& path) {
        fmt::print("Server {} served an http request.\n", w.pid());
        std::fflush(stdout);

        // This calls foo on any one of the 4 back processes: the least recently used.
        back.cast("foo");

        // A call with a result: wait for it (at most 2 s).
        auto greeting = back.call<std::string>("greet", path).get(2s);
        fmt::print("Server {} got: {}\n", w.pid(),
                   greeting ? *greeting : "an error: " + greeting.error().message);

        // A typed call, checked against the declaration: a future of std::string.
        auto loud = back.call(hello::shout, path).get(2s);
        fmt::print("Server {} got it shouted: {}\n", w.pid(),
                   loud ? *loud : "an error: " + loud.error().message);

        // A call that answers through a callback, run here when the back calls it.
        std::string words = path;
        std::replace(words.begin(), words.end(), '/', ' ');
        back.cast("count_words", words, mob::callback<void(int)>{[&w, path](int n) {
                      fmt::print("Server {} learned that {} has {} words.\n", w.pid(), path, n);
                      std::fflush(stdout);
                  }});

        // And a message to every process of the app.
        w.send("news", fmt::format("front {} served {}", w.pid(), path));
        std::fflush(stdout);
        return std::string{"Hello World\n"};
    };

    // Runs once when this worker stops (Ctrl-C, a scale-down, a reload), after its calls.
    w.on_shutdown([&w] {
        fmt::print("Server {} closing.\n", w.pid());
        std::fflush(stdout);
    });

    hello::serve_http(
        listener, [&w] { return w.stopping(); }, handle,
        [&w, listener] {
            fmt::print("Server {} running at http://{}/\n", w.pid(),
                       hello::local_address(listener));
            std::fflush(stdout);
            w.ready();
        });
}
