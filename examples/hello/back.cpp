// background-worker.js: says it is running and exports its functions to the cluster.
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <sstream>

#include "roles.hpp"

namespace {
void say(const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
}
}  // namespace

void back_main(mob::worker& w) {
    say(fmt::format("Background worker {} running.", w.pid()));

    // Why the worker this one replaces died, if one did: the kingpin keeps the report.
    if (auto why = w.last_error())
        say(fmt::format("Back {} replaces a worker that died: {}", w.pid(), why->summary()));

    // exports.foo of the original: a function other roles call through a proxy.
    w.export_fn("foo", [&w] { say(fmt::format("Bar! My pid is {}", w.pid())); });

    // A function with a result...
    w.export_fn("greet", [&w](std::string who) {
        return fmt::format("Hello, {}! (from back {})", who, w.pid());
    });

    // ...and one that answers through a callback, which runs in the caller's process.
    w.export_fn("count_words", [](std::string text, mob::callback<void(int)> done) {
        std::istringstream in{text};
        int words = 0;
        for (std::string word; in >> word;)
            ++words;
        done(words);
    });

    // A typed export: the compiler checks it against hello::shout (roles.hpp).
    w.export_fn(hello::shout, [](const std::string& text) {
        std::string loud = text;
        for (char& c : loud)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return loud + "!";
    });

    // Plain messages, for whoever listens.
    w.on<std::string>("news", [&w](const std::string& news) {
        say(fmt::format("Back {} heard: {}", w.pid(), news));
    });
}
