#include "mob_side.hpp"

#include <mob/app.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>

namespace bench {

namespace {

void export_echo(mob::worker& w, serve_mode mode) {
    w.export_fn("echo", [](std::string s) { return s; },
                {.inline_call = mode == serve_mode::inline_call});
}

}  // namespace

int mob_app_main(int argc, char** argv, std::uint32_t echo_workers, std::uint32_t credit,
                 serve_mode mode, const std::string& tcp_endpoint) {
    mob::app app{mob_app_name};
    if (tcp_endpoint.empty()) {
        app.role("echo", [mode](mob::worker& w) { export_echo(w, mode); },
                 {.workers = echo_workers, .credit = credit});
    } else {
        app.listen_tcp(tcp_endpoint, mob::insecure)
            .external_role("echo", {.workers = echo_workers});
    }
    return app.role("client", [](mob::worker&) {}, {.workers = 1}).run(argc, argv);
}

int mob_echo_worker_main(serve_mode mode) {
    return mob::serve([mode](mob::worker& w) { export_echo(w, mode); });
}

mob_client::mob_client(const std::string& endpoint, std::size_t payload, const std::string& app)
    : worker_(mob::worker_options{.endpoint = endpoint, .app = app, .role = "client"}),
      echo_(worker_.require("echo")),
      echo_inline_(echo_.with({.inline_result = true})),
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

/// One inline-result latency run: one call in flight, touched by the I/O thread (the
/// handlers) and, at the start and the end, by the measuring thread.
struct mob_client::chain {
    std::size_t warmup = 0;
    std::size_t total = 0;
    std::size_t done = 0;
    clock::time_point sent;
    std::vector<double> us;
    std::mutex mutex;  // guards everything above once handlers run
    std::condition_variable finished;
    std::string failure;
    bool over = false;
};

void mob_client::issue_timed(const std::shared_ptr<chain>& run) {
    {
        std::lock_guard lock{run->mutex};
        run->sent = clock::now();
    }
    echo_inline_.call("echo", payload_, [this, run](mob::result<std::string> r) {
        auto now = clock::now();
        bool next = false;
        {
            std::lock_guard lock{run->mutex};
            if (!r || r.value().size() != payload_.size()) {
                run->failure = r ? "a wrong echo" : r.error().message;
            }
            if (run->done++ >= run->warmup) {
                run->us.push_back(micros(now - run->sent));
            }
            next = run->done < run->total && run->failure.empty();
            run->over = !next;
        }
        if (next) {
            issue_timed(run);  // from the I/O thread, like the floor client's next send
        } else {
            run->finished.notify_one();
        }
    });
}

std::vector<double> mob_client::latency_inline(std::size_t warmup, std::size_t calls) {
    auto run = std::make_shared<chain>();
    run->warmup = warmup;
    run->total = warmup + calls;
    run->us.reserve(calls);
    issue_timed(run);
    std::unique_lock lock{run->mutex};
    if (!run->finished.wait_for(lock, reply_timeout * 10, [&] { return run->over; })) {
        throw std::runtime_error("mob: the inline latency chain stalled");
    }
    if (!run->failure.empty()) {
        throw std::runtime_error("mob: " + run->failure);
    }
    return run->us;
}

/// One inline-result run: touched by the I/O thread (the handlers) and, at the start
/// and the end, by the measuring thread.
struct mob_client::pipeline {
    std::size_t to_issue = 0;  // calls still to start
    std::size_t done = 0;
    std::size_t warmup = 0;
    std::size_t measured_end = 0;  // `done` at which the clock stops
    std::size_t total = 0;
    clock::time_point t0;
    clock::time_point t1;
    std::mutex mutex;  // guards everything above once handlers run
    std::condition_variable finished;
    std::string failure;
};

void mob_client::issue(const std::shared_ptr<pipeline>& run) {
    echo_inline_.call("echo", payload_,
                      [this, run](mob::result<std::string> r) { on_echo(run, r); });
}

void mob_client::on_echo(const std::shared_ptr<pipeline>& run, const mob::result<std::string>& r) {
    bool next = false;
    bool last = false;
    {
        std::lock_guard lock{run->mutex};  // uncontended: the measuring thread sleeps
        if (!r || r.value().size() != payload_.size()) {
            run->failure = r ? "a wrong echo" : r.error().message;
        }
        ++run->done;
        if (run->done == run->warmup) {
            run->t0 = clock::now();
        } else if (run->done == run->measured_end) {
            run->t1 = clock::now();
        }
        if (run->to_issue > 0) {
            --run->to_issue;
            next = true;
        }
        last = run->done == run->total;
    }
    if (next) {
        issue(run);  // from the I/O thread: no wake-up of anyone
    }
    if (last) {
        run->finished.notify_one();
    }
}

double mob_client::throughput_inline(std::size_t window, std::size_t warmup, std::size_t calls) {
    auto run = std::make_shared<pipeline>();
    warmup = std::max<std::size_t>(warmup, 1);
    // As throughput(): `window` in flight until `warmup + calls` are done, then the tail.
    run->warmup = warmup;
    run->measured_end = warmup + calls;
    run->total = warmup + calls + window;
    {
        std::lock_guard lock{run->mutex};
        run->to_issue = run->total - window;
    }
    for (std::size_t i = 0; i < window; ++i) {
        issue(run);
    }
    std::unique_lock lock{run->mutex};
    if (!run->finished.wait_for(lock, reply_timeout * 10,
                                [&] { return run->done == run->total; })) {
        throw std::runtime_error("mob: the inline pipeline stalled");
    }
    if (!run->failure.empty()) {
        throw std::runtime_error("mob: " + run->failure);
    }
    return static_cast<double>(calls) / seconds(run->t1 - run->t0);
}

}  // namespace bench
