// Chaos under load: calls kept in flight (chaos_load.hpp, and each front worker calling
// too) while a random ready worker, serving or calling, is SIGKILLed every 100 ms, for
// MOB_CHAOS_SECONDS (3 in `make test`; `make soak` runs 20). Afterwards: every call ended with a
// result or an explicit error, no "record" call ran twice and none that succeeded ran zero times,
// no value was wrong, the kingpin lives and its descriptors and memory are what they were under
// load before the chaos, the callback and call tables are empty on both sides, and the role is
// whole again within 2 s of the last kill. MOB_CHAOS_SEED picks the victims again.
#include <gtest/gtest.h>

#include <mob/control.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "chaos_load.hpp"
#include "cluster.hpp"
#include "control_client.hpp"

namespace mob::test {
namespace {

constexpr int back_workers = 4;
constexpr int front_workers = 2;

/// A process's resident memory (kB, VmRSS) and open descriptors, from /proc.
struct usage {
    long rss_kb = 0;
    long fds = 0;
};
usage usage_of(pid_t pid) {
    usage u;
    std::ifstream status{fmt::format("/proc/{}/status", pid)};
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0)
            u.rss_kb = std::atol(line.c_str() + 6);
    }
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator{fmt::format("/proc/{}/fd", pid), ec};
         !ec && it != std::filesystem::directory_iterator{}; it.increment(ec))
        ++u.fds;
    return u;
}

control::app_status status_of(const cluster& c) {
    auto json = ask(c, "status");
    return json.empty() ? control::app_status{} : control::from_json<control::app_status>(json);
}
const control::role_status* role_in(const control::app_status& s, const std::string& name) {
    for (const auto& r : s.roles) {
        if (r.name == name)
            return &r;
    }
    return nullptr;
}
/// Its workers all alive and ready (the test's own worker joined front from outside).
bool whole(const control::app_status& s, const std::string& role, std::uint32_t n) {
    const auto* r = role_in(s, role);
    return r != nullptr && r->alive == n && r->ready == n + r->joined;
}
bool whole(const control::app_status& s) {
    return whole(s, "back", back_workers) && whole(s, "front", front_workers);
}

int env_or(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

/// How many times each record token ran, from the exec-PID files of every worker.
std::map<std::int64_t, int> executions(const std::filesystem::path& dir) {
    std::map<std::int64_t, int> runs;
    for (const auto& f : std::filesystem::directory_iterator{dir}) {
        std::ifstream in{f.path()};
        for (std::int64_t token = 0; in >> token;)
            ++runs[token];
    }
    return runs;
}

TEST(chaos, calls_under_load_while_workers_are_killed_every_100_ms_all_end_once_and_right) {
    const auto seconds = env_or("MOB_CHAOS_SECONDS", 3);
    const auto seed = static_cast<unsigned>(
        env_or("MOB_CHAOS_SEED", static_cast<int>(std::random_device{}() >> 1)));
    temp_dir records;
    cluster c{{{"TEST_BACK", std::to_string(back_workers)},
               {"TEST_FRONT", std::to_string(front_workers)},
               {"TEST_FRONT_LOAD", "1"},
               {"TEST_RECORD_DIR", records.path()},
               {"TEST_RECORD_WORK_US", "500"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    const pid_t kingpin = c.kingpin().pid();

    chaos_load load{p.w(), std::max<std::size_t>(4, 32 / load_divisor())};
    // Under load before any chaos: the baseline the kingpin must come back to.
    ASSERT_TRUE(load.wait_ended(300 / load_divisor(), 20s)) << "the load does not flow";
    const auto before = usage_of(kingpin);

    std::mt19937 pick{seed};
    int kills = 0;
    auto last_kill = std::chrono::steady_clock::now();
    usage peak = before;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{seconds};
    auto next = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < until) {
        std::vector<pid_t> ready;
        for (const auto& w : status_of(c).workers) {
            if (w.state == "ready" && w.local)
                ready.push_back(static_cast<pid_t>(w.pid));
        }
        if (!ready.empty()) {
            ::kill(ready[pick() % ready.size()], SIGKILL);
            ++kills;
            last_kill = std::chrono::steady_clock::now();
        }
        const auto u = usage_of(kingpin);
        peak = {std::max(peak.rss_kb, u.rss_kb), std::max(peak.fds, u.fds)};
        next += 100ms;
        std::this_thread::sleep_until(next);  // the scenario's pace, not a wait for an event
    }

    // The roles are whole again within 2 s of the last kill.
    auto s = status_of(c);
    while (!whole(s) && std::chrono::steady_clock::now() < last_kill + 2s)
        s = status_of(c);
    const auto whole_after = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - last_kill);
    EXPECT_TRUE(whole(s)) << "roles not whole 2 s after the chaos: back "
                          << (role_in(s, "back") ? role_in(s, "back")->ready : 0)
                          << " ready, front "
                          << (role_in(s, "front") ? role_in(s, "front")->ready : 0) << " ready";

    // Every call ends: with a result or an explicit error, none left hanging.
    load.stop();
    p.w().all("front").send("front_load", 0);
    EXPECT_TRUE(load.wait_all_ended(chaos_load::call_timeout + 5s));
    const auto n = load.snapshot();
    EXPECT_EQ(n.outstanding, 0u) << "calls never answered";
    EXPECT_EQ(n.ended, n.made) << "calls that ended twice, or never";
    EXPECT_EQ(n.wrong, 0u) << "results or callbacks with a wrong value";
    for (const auto& [outcome, count] : n.outcomes) {
        const bool allowed = outcome.ends_with(" ok") || outcome.ends_with(" worker_died") ||
                             outcome.ends_with(" timeout");
        EXPECT_TRUE(allowed) << count << " calls ended as " << outcome;
    }

    EXPECT_FALSE(c.kingpin().wait_for(std::regex{"EVENT front_load wrong"}, 0ms).has_value())
        << c.kingpin().output();

    // No record ran twice (it is not idempotent), the front workers' included, and every
    // one of the test's that succeeded ran.
    const auto runs = executions(records.path());
    std::size_t twice = 0;
    std::size_t succeeded_unrun = 0;
    for (const auto& [token, times] : runs)
        twice += times > 1 ? 1 : 0;
    for (auto token : n.recorded_ok)
        succeeded_unrun += runs.count(token) == 0 ? 1 : 0;
    EXPECT_EQ(twice, 0u) << "record calls run more than once";
    EXPECT_EQ(succeeded_unrun, 0u) << "record calls that succeeded without running";

    // Nothing is left in the tables: the caller's calls and callbacks (a callback the
    // dead holder never called ends at its timeout), the broker's queue and in-flight.
    const auto drained_by = std::chrono::steady_clock::now() + chaos_load::callback_timeout + 3s;
    while ((p.w().pending_calls() != 0 || p.w().pending_callbacks() != 0) &&
           std::chrono::steady_clock::now() < drained_by)
        load.wait_all_ended(20ms);
    EXPECT_EQ(p.w().pending_calls(), 0u);
    EXPECT_EQ(p.w().pending_callbacks(), 0u) << "callbacks left in the caller's table";
    // The front workers' last calls end within their timeout too.
    std::uint64_t in_flight = 0;
    std::uint64_t queued = 0;
    const auto broker_drained_by = std::chrono::steady_clock::now() + chaos_load::call_timeout + 2s;
    do {
        s = status_of(c);
        in_flight = 0;
        for (const auto& w : s.workers)
            in_flight += w.in_flight;
        queued = role_in(s, "back") != nullptr ? role_in(s, "back")->queued_calls : 1;
    } while ((in_flight != 0 || queued != 0) &&
             std::chrono::steady_clock::now() < broker_drained_by);
    EXPECT_EQ(in_flight, 0u) << "calls the broker still holds in flight";
    EXPECT_EQ(queued, 0u) << "calls still queued in the broker";

    // The kingpin lives, and is back to the size it had under load before the chaos.
    ASSERT_TRUE(process_alive(kingpin)) << c.kingpin().output();
    const auto after = usage_of(kingpin);
    EXPECT_LE(after.fds, before.fds + 4) << "descriptors: " << before.fds << " -> " << after.fds;
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine holds freed memory on purpose
    EXPECT_LE(after.rss_kb, before.rss_kb + 16 * 1024)
        << "RSS kB: " << before.rss_kb << " -> " << after.rss_kb;
#endif

    std::string outcomes;
    for (const auto& [outcome, count] : n.outcomes)
        outcomes += fmt::format(" {}={}", outcome, count);
    std::printf(
        "chaos: %d s, seed %u, %d kills, %zu calls (%zu records, %zu callbacks called):%s; "
        "whole %lld ms after; kingpin fds %ld -> %ld (peak %ld), RSS %ld -> %ld kB (peak %ld)\n",
        seconds, seed, kills, n.made, n.records, n.callbacks_called, outcomes.c_str(),
        static_cast<long long>(whole_after.count()), before.fds, after.fds, peak.fds, before.rss_kb,
        after.rss_kb, peak.rss_kb);
}

}  // namespace
}  // namespace mob::test
