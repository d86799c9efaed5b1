// A program built with mob's source tree added by add_subdirectory.
#include <mob/app.hpp>
#include <mob/error.hpp>
#include <mob/worker.hpp>

#include <cstdio>
#include <string>

int main() {
    mob::worker_options options;
    options.app = "consumer";
    options.role = "front";

    const std::string greeting{"hello, everyone"};
    if (mob::decode<std::string>(mob::encode(greeting)) != greeting) {
        std::puts("encode/decode round trip failed");
        return 1;
    }

    mob::app app{options.app};
    app.role(options.role, [](mob::worker&) {}, {.workers = 2});
    app.validate();  // throws mob::error if the app is not valid

    mob::app bad{options.app};
    bad.role(options.role, [](mob::worker&) {}, {.min = 3, .max = 2});
    try {
        bad.validate();
        std::puts("an app with min > max validated");
        return 1;
    } catch (const mob::error&) {
    }

    std::puts("add_subdirectory consumer: ok");
    return 0;
}
