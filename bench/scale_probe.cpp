#include "scale_probe.hpp"

#include "children.hpp"
#include "measure.hpp"
#include "message_probe.hpp"
#include "mob_side.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <mob/control.hpp>
#include <mob/control_request.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <thread>

namespace bench {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view full_line = "full: every role has its workers";
/// What a worker or the kingpin logs when heartbeats went unanswered.
constexpr std::string_view liveness_lines[] = {"silent for", "has not answered",
                                               "missed heartbeats", "not ready after"};

/// The kingpin's status, asked on its control socket as mobctl does.
std::optional<mob::control::app_status> status_of(const std::string& runtime_dir) {
    auto a = mob::control::request(runtime_dir, scale_app_name, "status");
    if (!a || !a->ok)
        return std::nullopt;
    return mob::control::from_json<mob::control::app_status>(a->body);
}

/// VmRSS of a process, in bytes.
double rss_bytes(pid_t pid) {
    std::ifstream in{fmt::format("/proc/{}/status", pid)};
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            double kib = 0;
            in >> kib;
            return kib * 1024.0;
        }
        in.ignore(1 << 12, '\n');
    }
    throw std::runtime_error(fmt::format("no VmRSS for pid {}", pid));
}

/// CPU time of every thread of a process so far (schedstat: nanoseconds on a CPU).
std::chrono::nanoseconds cpu_time(pid_t pid) {
    std::chrono::nanoseconds total{0};
    for (const auto& t : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
        std::ifstream in{t.path() / "schedstat"};
        long long ns = 0;
        if (in >> ns)
            total += std::chrono::nanoseconds{ns};
    }
    return total;
}

double ms_since(clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

std::string endpoint_in(const temp_dir& dir) {
    return fmt::format("ipc://{}/{}/broker.sock", dir.path(), scale_app_name);
}

/// A pid of an echo worker up for longer than `uptime`.
pid_t settled_echo_worker(const std::string& runtime_dir, std::chrono::milliseconds uptime) {
    const auto deadline = clock::now() + 10s;
    while (clock::now() < deadline) {
        if (auto s = status_of(runtime_dir)) {
            for (const auto& w : s->workers) {
                if (w.role == "echo" && w.state == "ready" &&
                    w.uptime_s * 1000.0 > static_cast<double>(uptime.count()))
                    return static_cast<pid_t>(w.pid);
            }
        }
        std::this_thread::sleep_for(50ms);  // allowed-sleep: a benchmark polling status
    }
    throw std::runtime_error("no echo worker up past min_uptime within 10 s");
}

}  // namespace

scale_figures measure_scale(const std::string& program, std::uint32_t workers, std::size_t calls,
                            std::chrono::milliseconds min_uptime) {
    scale_figures f;
    f.workers = workers;
    temp_dir dir;
    const auto t0 = clock::now();
    child kingpin({program, "--scale-app", std::to_string(workers), "-"},
                  {"MOB_RUNTIME_DIR=" + dir.path(), "MOB_LOG=info", "MOB_LOG_FORMAT=plain"},
                  /*capture_stderr=*/true);
    if (!kingpin.wait_for_line(full_line, 120s))
        throw std::runtime_error(
            fmt::format("{} workers: the kingpin was not full in 120 s", workers));
    f.start_ms = ms_since(t0);
    f.rss_mib = rss_bytes(kingpin.pid()) / (1024.0 * 1024.0);

    // An idle second: only heartbeats, and the kingpin's own once-a-second sampling.
    const auto cpu0 = cpu_time(kingpin.pid());
    const auto idle0 = clock::now();
    std::this_thread::sleep_for(1s);  // allowed-sleep: the kingpin's CPU over it is measured
    f.idle_cpu_percent = 100.0 * std::chrono::duration<double>(cpu_time(kingpin.pid()) - cpu0) /
                         std::chrono::duration<double>(clock::now() - idle0);
    {
        mob_client client{endpoint_in(dir), 32, scale_app_name};
        f.calls_per_s = client.throughput(64, calls / 10, calls);
    }
    // Broadcasts: about 100 000 copies whatever the worker count (at least 100 messages).
    const auto m = measure_messaging(endpoint_in(dir), scale_app_name, workers, calls,
                                     std::max<std::size_t>(100, 100000 / workers));
    f.any_per_s = m.any_per_s;
    f.all_per_s = m.all_deliveries_per_s;
    f.message_errors = m.errors;

    const auto victim = settled_echo_worker(dir.path(), min_uptime * 2);
    const auto seen = kingpin.line_count();
    const auto k0 = clock::now();
    ::kill(victim, SIGKILL);
    if (!kingpin.wait_for_line(full_line, 30s, seen))
        throw std::runtime_error("the kingpin was not full again 30 s after a worker's SIGKILL");
    f.revive_ms = ms_since(k0);
    for (auto needle : liveness_lines)
        f.false_warnings += static_cast<double>(kingpin.count_lines(needle));
    kingpin.stop();
    return f;
}

double measure_exec_start(const std::string& program, std::uint32_t workers) {
    temp_dir dir;
    const auto t0 = clock::now();
    child kingpin({program, "--scale-app", std::to_string(workers), "-"},
                  {"MOB_RUNTIME_DIR=" + dir.path(), "MOB_LOG=info", "MOB_LOG_FORMAT=plain",
                   "MOB_FORK_SERVER=0"},
                  /*capture_stderr=*/true);
    if (!kingpin.wait_for_line(full_line, 120s))
        throw std::runtime_error(
            fmt::format("{} workers by exec: the kingpin was not full in 120 s", workers));
    return ms_since(t0);
}

scale_figures median_of(const std::vector<scale_figures>& rounds) {
    auto median = [&](double scale_figures::*field) {
        std::vector<double> v;
        for (const auto& r : rounds)
            v.push_back(r.*field);
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    scale_figures m;
    m.workers = rounds.front().workers;
    m.start_ms = median(&scale_figures::start_ms);
    m.exec_start_ms = median(&scale_figures::exec_start_ms);
    m.false_warnings = median(&scale_figures::false_warnings);
    m.rss_mib = median(&scale_figures::rss_mib);
    m.idle_cpu_percent = median(&scale_figures::idle_cpu_percent);
    m.calls_per_s = median(&scale_figures::calls_per_s);
    m.revive_ms = median(&scale_figures::revive_ms);
    m.any_per_s = median(&scale_figures::any_per_s);
    m.all_per_s = median(&scale_figures::all_per_s);
    m.message_errors = median(&scale_figures::message_errors);
    return m;
}

double measure_queued_call_bytes(const std::string& program, std::size_t calls) {
    temp_dir dir;
    child kingpin({program, "--scale-app", "4", "absent"},
                  {"MOB_RUNTIME_DIR=" + dir.path(), "MOB_LOG=warn", "MOB_LOG_FORMAT=plain"},
                  /*capture_stderr=*/true);
    mob::worker w{
        mob::worker_options{.endpoint = endpoint_in(dir), .app = scale_app_name, .role = "client"}};
    if (!w.wait_until_welcomed(10s))
        throw std::runtime_error("queued calls: the kingpin did not welcome the benchmark");
    w.ready();
    auto queued = [&]() -> std::uint64_t {
        auto s = status_of(dir.path());
        for (const auto& r : s ? s->roles : std::vector<mob::control::role_status>{}) {
            if (r.name == "absent")
                return r.queued_calls;
        }
        return 0;
    };
    const double before = rss_bytes(kingpin.pid());
    auto absent = w.require("absent");
    std::vector<mob::call_future<std::string>> pending;
    pending.reserve(calls);
    const std::string payload(32, 'x');
    for (std::size_t i = 0; i < calls; ++i)
        pending.push_back(absent.call<std::string>("echo", payload));
    const auto deadline = clock::now() + 20s;
    while (queued() < calls) {
        if (clock::now() > deadline)
            throw std::runtime_error("queued calls: not all queued in the broker in 20 s");
        std::this_thread::sleep_for(20ms);  // allowed-sleep: a benchmark polling status
    }
    return (rss_bytes(kingpin.pid()) - before) / static_cast<double>(calls);
}

}  // namespace bench
