// A role served by another program: it links libmob-worker only and calls mob::serve.
// The kingpin starts it through mob::exec (test/apps/test_app.cpp, TEST_EXEC).
#include <mob/worker.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    std::string tag = argc > 1 ? argv[1] : "no-argument";
    return mob::serve([&tag](mob::worker& w) {
        fmt::print("EVENT start {} {} exec {}\n", w.role(), w.pid(), tag);
        std::fflush(stdout);
        w.export_fn("whoami", [&w] { return w.pid(); });
        w.export_fn("tag", [&tag] { return tag; });
    });
}
