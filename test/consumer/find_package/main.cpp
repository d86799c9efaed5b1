// A program built against an installed mob (find_package): it must compile with the
// installed headers only, link mob::broker and mob::worker, and run.
#include <mob/app.hpp>
#include <mob/error.hpp>
#include <mob/worker.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

int main() {
    mob::worker_options options;
    options.app = "consumer";
    options.role = "back";

    using routes = std::map<std::string, std::vector<int>>;
    const routes value{{"back", {1, 2, 3}}, {"front", {}}};
    if (mob::decode<routes>(mob::encode(value)) != value) {
        std::puts("encode/decode round trip failed");
        return 1;
    }

    mob::app app{options.app};
    app.role(options.role, [](mob::worker&) {}, {.workers = 2});
    app.validate();  // throws mob::error if the app is not valid

    mob::app bad{options.app};
    bad.role(options.role, [](mob::worker&) {}, {.workers = 0});
    try {
        bad.validate();
        std::puts("an app with a zero-worker role validated");
        return 1;
    } catch (const mob::error&) {
    }

    std::puts("find_package consumer: ok");
    return 0;
}
