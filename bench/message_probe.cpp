#include "message_probe.hpp"

#include "measure.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace bench {
namespace {

using namespace std::chrono_literals;

/// What the sender has heard back: counts from the workers, and undelivered sends.
struct tally {
    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t delivered = 0;
    std::uint64_t counts = 0;  // workers that answered this run's flush
    std::uint64_t errors = 0;

    void reset() {
        std::lock_guard lock{mutex};
        delivered = counts = errors = 0;
    }
    /// Waits until `workers` counts are in; false after `timeout`.
    bool wait(std::uint64_t workers, std::chrono::seconds timeout) {
        std::unique_lock lock{mutex};
        return changed.wait_for(lock, timeout, [&] { return counts >= workers; });
    }
};

/// Sends `n` ticks to `to`, then a flush to every echo worker; returns delivered per second.
template <typename Recipients>
double run(mob::worker& w, Recipients to, std::size_t n, std::uint32_t workers, tally& t) {
    t.reset();
    const std::string tick(32, 'x');
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        to.send("tick", tick);
    }
    w.all("echo").send("flush", std::string{});
    if (!t.wait(workers, 60s)) {
        throw std::runtime_error(
            fmt::format("messaging: {} of {} counts back in 60 s", t.counts, workers));
    }
    const double s = seconds(clock::now() - t0);
    std::lock_guard lock{t.mutex};
    return static_cast<double>(t.delivered) / s;
}

}  // namespace

void count_ticks(mob::worker& w) {
    auto ticks = std::make_shared<std::uint64_t>(0);  // handlers run on one thread
    w.on<std::string>("tick", [ticks](const std::string&) { ++*ticks; });
    w.on<std::string>("flush", [&w, ticks](const std::string&, const mob::message& m) {
        w.id(m.sender).send("count", *ticks);
        *ticks = 0;
    });
}

message_figures measure_messaging(const std::string& endpoint, const std::string& app,
                                  std::uint32_t workers, std::size_t any_messages,
                                  std::size_t all_messages) {
    tally t;
    mob::worker w{mob::worker_options{.endpoint = endpoint, .app = app, .role = "client"}};
    w.on<std::uint64_t>("count", [&t](const std::uint64_t& n) {
        std::lock_guard lock{t.mutex};
        t.delivered += n;
        ++t.counts;
        t.changed.notify_all();
    });
    w.on_error([&t](const mob::send_error&) {
        std::lock_guard lock{t.mutex};
        ++t.errors;
    });
    if (!w.wait_until_welcomed(10s)) {
        throw std::runtime_error("messaging: the kingpin did not welcome the benchmark");
    }
    w.ready();
    message_figures f;
    f.any_per_s = run(w, w.any("echo"), any_messages, workers, t);
    f.errors = static_cast<double>(t.errors);
    f.all_deliveries_per_s = run(w, w.all("echo"), all_messages, workers, t);
    f.errors += static_cast<double>(t.errors);
    return f;
}

}  // namespace bench
