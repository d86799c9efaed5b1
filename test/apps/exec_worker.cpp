// A role served by another program: it links libmob-worker only and calls mob::serve.
// The kingpin starts it through mob::exec (test/apps/test_app.cpp, TEST_EXEC); with
// TEST_EXEC_LISTEN it serves its role's shared listener "line".
#include <mob/worker.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "line_server.hpp"

int main(int argc, char** argv) {
    std::string tag = argc > 1 ? argv[1] : "no-argument";
    return mob::serve([&tag](mob::worker& w) {
        fmt::print("EVENT start {} {} exec {}\n", w.role(), w.pid(), tag);
        std::fflush(stdout);
        w.export_fn("whoami", [&w] { return w.pid(); });
        w.export_fn("tag", [&tag] { return tag; });
        // With TEST_EXEC_LISTEN, its role has a shared listener "line": serve it.
        if (std::getenv("TEST_EXEC_LISTEN") != nullptr) {
            int fd = w.listener("line");
            mob::test::report_listener(w, "line", fd);
            mob::test::serve_lines(w, fd);
        }
    });
}
