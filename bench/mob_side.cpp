#include "mob_side.hpp"

#include <mob/app.hpp>

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace bench {

int mob_app_main(int argc, char** argv, std::uint32_t echo_workers, std::uint32_t credit,
                 serve_mode mode) {
    const bool on_io_thread = mode == serve_mode::inline_call;
    return mob::app{mob_app_name}
        .role("echo",
              [on_io_thread](mob::worker& w) {
                  w.export_fn("echo", [](std::string s) { return s; },
                              {.inline_call = on_io_thread});
              },
              {.workers = echo_workers, .credit = credit})
        .role("client", [](mob::worker&) {}, {.workers = 1})
        .run(argc, argv);
}

mob_client::mob_client(const std::string& endpoint, std::size_t payload)
    : worker_(mob::worker_options{.endpoint = endpoint, .app = mob_app_name, .role = "client"}),
      echo_(worker_.require("echo")),
      payload_(payload, 'x') {
    if (!worker_.wait_until_welcomed(std::chrono::seconds{5})) {
        throw std::runtime_error("mob: the kingpin did not welcome the benchmark's worker");
    }
    worker_.ready();
}

std::vector<double> mob_client::latency(std::size_t warmup, std::size_t calls) {
    std::vector<double> us;
    us.reserve(calls);
    for (std::size_t i = 0; i < warmup + calls; ++i) {
        auto t0 = clock::now();
        auto back = echo_.call<std::string>("echo", payload_).value(reply_timeout);
        auto t1 = clock::now();
        if (back.size() != payload_.size()) {
            throw std::runtime_error("mob: a wrong echo");
        }
        if (i >= warmup) {
            us.push_back(micros(t1 - t0));
        }
    }
    return us;
}

double mob_client::throughput(std::size_t window, std::size_t warmup, std::size_t calls) {
    warmup = std::max<std::size_t>(warmup, 1);
    std::deque<mob::call_future<std::string>> ring;
    for (std::size_t i = 0; i < window; ++i) {
        ring.push_back(echo_.call<std::string>("echo", payload_));
    }
    std::size_t done = 0;
    auto t0 = clock::now();
    // Waits for the oldest call, then starts the next: at most `window` in flight (with
    // 4 workers a younger call may finish first and wait its turn here).
    while (done < warmup + calls) {
        auto back = ring.front().value(reply_timeout);
        ring.pop_front();
        if (back.size() != payload_.size()) {
            throw std::runtime_error("mob: a wrong echo");
        }
        if (++done == warmup) {
            t0 = clock::now();
        }
        ring.push_back(echo_.call<std::string>("echo", payload_));
    }
    auto t1 = clock::now();
    for (auto& f : ring) {
        (void)f.value(reply_timeout);
    }
    return static_cast<double>(calls) / seconds(t1 - t0);
}

}  // namespace bench
