// mob-shop-worker: one program for both roles of the shop, started where the containers
// run it with MOB_ENDPOINT=tcp://broker:5555 and MOB_ROLE=back or front, joining a
//     mob-broker --app shop --tcp tcp://0.0.0.0:5555 --insecure --role back=3 --role front=1
// Environment: SHOP_HTTP_PORT (front, default 1337), SHOP_HEALTH_PORT (every role,
// default 8081: /livez and /readyz).
//
//     mob-shop-worker --check readyz    exit 0 if this container's worker is ready
// is the check a container runtime runs beside the worker (docker-compose.yml): the image
// has no curl, and a probe should not need one.
#include <mob/worker.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <string_view>

#include "http.hpp"
#include "roles.hpp"

namespace {

int check(std::string_view what) {
    if (what != "livez" && what != "readyz") {
        std::fputs("mob-shop-worker: --check wants livez or readyz\n", stderr);
        return 2;
    }
    auto port = shop::port_from_env("SHOP_HEALTH_PORT", 8081);
    int status = shop::http_status(port, fmt::format("/{}", what), 3);
    if (status == 200)
        return 0;
    fmt::print(stderr, "mob-shop-worker: /{} on port {}: {}\n", what, port,
               status == 0 ? std::string{"no answer"} : fmt::format("status {}", status));
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string_view{argv[1]} == "--check")
        return check(argv[2]);
    return mob::serve([](mob::worker& w) {
        if (w.role() == "back")
            shop::back_main(w);
        else if (w.role() == "front")
            shop::front_main(w);
        else
            throw std::runtime_error(fmt::format("the shop has no role '{}'", w.role()));
    });
}
