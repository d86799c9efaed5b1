// A program built with pkg-config alone (build.sh): the installed headers, MOB_VERSION from
// the generated mob/version.hpp, and the mob-broker and mob-worker libraries.
#include <mob/app.hpp>
#include <mob/error.hpp>
#include <mob/version.hpp>
#include <mob/worker.hpp>

#include <cstdio>

int main() {
    mob::app app{"consumer"};
    app.role("back", [](mob::worker&) {}, {.workers = 2});
    app.validate();  // throws mob::error if the app is not valid

    mob::app bad{"consumer"};
    bad.role("back", [](mob::worker&) {}, {.workers = 0});
    try {
        bad.validate();
        std::puts("an app with a zero-worker role validated");
        return 1;
    } catch (const mob::error&) {
    }
    std::printf("pkg-config consumer: ok (mob %s)\n", MOB_VERSION);
    return 0;
}
