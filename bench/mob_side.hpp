// The mob side: an app with a role "echo" that exports echo(std::string) and a role
// "client" whose one spawned worker idles; the benchmark joins the kingpin from
// outside as one more worker of "client" and calls echo through it. The echo is
// exported inline (served on the worker's I/O thread) or, mob's default, run on the
// worker's dispatcher thread.
#pragma once

#include "measure.hpp"

#include <mob/worker.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

inline constexpr const char* mob_app_name = "mobbench";

/// How the echo workers serve: export_options::inline_call, or the default.
enum class serve_mode { inline_call, dispatcher };

/// The app's main: the kingpin, or (MOB_ROLE set) one of its workers. With a
/// `tcp_endpoint` the kingpin also listens there (insecure) and "echo" is an external
/// role: its workers are mob_echo_worker_main processes started by the bench.
int mob_app_main(int argc, char** argv, std::uint32_t echo_workers, std::uint32_t credit,
                 serve_mode mode, const std::string& tcp_endpoint = {});
/// An external echo worker (MOB_ENDPOINT, MOB_ROLE=echo, MOB_CREDIT in its environment).
int mob_echo_worker_main(serve_mode mode);

/// The benchmark joined to a running kingpin as a worker of role "client".
class mob_client {
  public:
    /// `app` is the kingpin's app name (mob-scale-bench runs an app of its own).
    mob_client(const std::string& endpoint, std::size_t payload,
               const std::string& app = mob_app_name);

    /// Round trips of one call at a time, in microseconds, after `warmup` unmeasured ones:
    /// this thread makes each call and waits for its future.
    std::vector<double> latency(std::size_t warmup, std::size_t calls);
    /// The same with call_settings::inline_result: each result's handler, on the worker's
    /// I/O thread, takes the time and makes the next call (the way the floor's client
    /// sends and receives on the thread that owns its socket); this thread waits for the end.
    std::vector<double> latency_inline(std::size_t warmup, std::size_t calls);
    /// Calls per second with `window` calls in flight, over `calls` calls after `warmup`:
    /// this thread waits for the oldest call's future, then starts the next.
    double throughput(std::size_t window, std::size_t warmup, std::size_t calls);
    /// The same with call_settings::inline_result: each result's handler starts the
    /// next call on the worker's I/O thread, and this thread only waits for the end.
    double throughput_inline(std::size_t window, std::size_t warmup, std::size_t calls);

  private:
    struct pipeline;
    void on_echo(const std::shared_ptr<pipeline>& run, const mob::result<std::string>& r);
    void issue(const std::shared_ptr<pipeline>& run);
    struct chain;
    void issue_timed(const std::shared_ptr<chain>& run);

    mob::worker worker_;
    mob::proxy echo_;
    mob::proxy echo_inline_;  // echo_ with {.inline_result = true}
    std::string payload_;
};

}  // namespace bench
