// An external worker: a program that links libmob-worker only, started anywhere with
// MOB_ENDPOINT and MOB_ROLE, joins a kingpin (an app's, or mob-broker) over TCP:
//
//     mob-broker --app shop --tcp tcp://0.0.0.0:5555 --curve-secret broker.secret
//                --curve-allow workers/ --role back=2 --role front=1
//     export MOB_ENDPOINT=tcp://broker-host:5555 MOB_CURVE_SERVER_KEY_FILE=broker.pub
//     MOB_ROLE=back MOB_CURVE_SECRET_FILE=back1.secret ./mob-external-worker
//     MOB_ROLE=front MOB_CURVE_SECRET_FILE=front1.secret ./mob-external-worker
//
// (keys from `mobctl keygen NAME`, the workers' .pub files in workers/; docs/security.md).
// docker/docker-compose.yml runs that topology in containers.
#include <mob/worker.hpp>

#include <fmt/format.h>

#include <cstdio>

int main() {
    return mob::serve([](mob::worker& w) {
        if (w.role() == "back") {
            w.export_fn("add", [](int a, int b) { return a + b; });
        } else {
            // Waits in the broker until a back worker has joined.
            int sum = w.require("back").call<int>("add", 2, 3).value();
            fmt::print("{}: 2 + 3 = {}\n", w.id(), sum);
            std::fflush(stdout);
        }
    });
}
