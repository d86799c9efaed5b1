// Resource limits (issue 12): the kingpin samples each worker's CPU and RSS from /proc
// and shows them in status, top and metrics; a worker over its role's max_memory is
// replaced as a reload replaces one (the new one ready first), so callers under load see
// not one failed call.
#include <gtest/gtest.h>

#include <mob/control.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "ops_support.hpp"

namespace mob::test {
namespace {

control::app_status status_json(const cluster& c) {
    auto r = mobctl(c, {"status", "testapp", "--json"});
    EXPECT_EQ(r.code, 0) << r.out;
    try {
        return control::from_json<control::app_status>(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << "\n" << r.out;
        return {};
    }
}

const control::worker_status* worker_of(const control::app_status& s, std::int64_t pid) {
    for (const auto& w : s.workers) {
        if (w.pid == pid)
            return &w;
    }
    return nullptr;
}

const control::role_status* role_of(const control::app_status& s, const std::string& name) {
    for (const auto& r : s.roles) {
        if (r.name == name)
            return &r;
    }
    return nullptr;
}

TEST(ops_limits, a_worker_over_max_memory_is_replaced_under_load_with_no_failed_call) {
    // Well above an idle worker's RSS: about 8 MiB in a plain build, but over 80 MiB
    // under ASan, whose quarantine grows further under load (a 96 MiB limit there once
    // replaced the other worker too).
    const std::uint64_t limit_mib = load_divisor() > 1 ? 320 : 96;
    cluster c{MOB_OPS_APP_V1,
              {{"TEST_BACK", "2"}, {"TEST_MAX_MEMORY_MIB", std::to_string(limit_mib)}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");

    std::atomic<bool> done{false};
    std::atomic<int> served{0};
    std::mutex m;
    std::vector<std::string> failures;
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
        callers.emplace_back([&] {
            while (!done) {
                auto r = back.call<int>("version").get(10s);
                if (r.ok()) {
                    ++served;
                    continue;
                }
                std::lock_guard lock{m};
                failures.push_back(std::string{to_string(r.error().code)} + ": " +
                                   r.error().message);
            }
        });
    }
    ASSERT_TRUE(eventually([&] { return served >= 30; }, 10s));
    auto mark = c.kingpin().line_count();
    auto grown = back.call<std::int64_t>("grow", static_cast<int>(limit_mib + 64)).get(20s);
    ASSERT_TRUE(grown.ok()) << grown.error().message;
    auto pid = grown.value();
    auto over = c.kingpin().wait_for(
        std::regex{
            fmt::format("back#\\d pid {} over max_memory: RSS [0-9.]+ MiB > {}\\.0 MiB, replacing",
                        pid, limit_mib)},
        15s, mark);
    auto retired = c.kingpin().wait_for(
        std::regex{fmt::format("stopping worker pid {}: replaced: over max_memory", pid)}, 20s,
        mark);
    bool gone = wait_process_gone(static_cast<pid_t>(pid), 20s);
    int at_end = served;
    EXPECT_TRUE(eventually([&] { return served >= at_end + 30; }, 10s));
    done = true;
    for (auto& t : callers)
        t.join();
    ASSERT_TRUE(over) << c.kingpin().output();
    ASSERT_TRUE(retired) << c.kingpin().output();
    EXPECT_TRUE(gone);
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed calls, first: " << failures[0];
    EXPECT_TRUE(c.kingpin().matches(std::regex{"died"}, mark).empty()) << c.kingpin().output();

    control::app_status s;
    EXPECT_TRUE(eventually(
        [&] {
            s = status_json(c);
            const auto* r = role_of(s, "back");
            return r != nullptr && r->ready == 2 && r->alive == 2 && worker_of(s, pid) == nullptr;
        },
        10s));
    const auto* r = role_of(s, "back");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->memory_restarts, 1u);
    EXPECT_EQ(r->max_memory, limit_mib << 20);
    EXPECT_EQ(r->restarts, 0u) << "a replacement is not a death";
    auto table = mobctl(c, {"status", "testapp"});
    EXPECT_TRUE(std::regex_search(
        table.out, std::regex{"\nback +2/2 +2-2 +2 +0 +\\d+ +\\d+ +0 +\\d+ +0 +1  "}))
        << table.out;
}

TEST(ops_limits, status_top_and_metrics_show_each_workers_cpu_and_rss) {
    cluster c{MOB_OPS_APP_V1, {{"TEST_BACK", "2"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    probe p{c};
    ASSERT_TRUE(p.w().wait_until_welcomed(20s));
    auto back = p.w().require("back");
    auto spinning = back.call<std::int64_t>("spin", 4000);  // a core busy for 4 s
    std::int64_t busy = 0;
    control::app_status s;
    ASSERT_TRUE(eventually(
        [&] {
            s = status_json(c);
            for (const auto& w : s.workers) {
                if (w.role == "back" && w.cpu_percent > 20)
                    busy = w.pid;
            }
            return busy != 0;
        },
        10s))
        << control::to_json(s);
    for (const auto& w : s.workers) {
        if (w.local) {
            EXPECT_GT(w.rss_bytes, 1u << 20) << w.id;
        }
    }
    auto table = mobctl(c, {"status", "testapp"});
    EXPECT_TRUE(std::regex_search(table.out, std::regex{"UPTIME +CPU% +RSS +CREDIT"})) << table.out;
    EXPECT_TRUE(
        std::regex_search(table.out, std::regex{"\nback/\\d+ +\\d+ +\\S+ +ready +\\S+ +\\d+\\.\\d "
                                                "+\\d+(\\.\\d+)?[KMG] "}))
        << table.out;

    auto top = mobctl(c, {"top", "testapp", "--interval", "200", "--iterations", "1"});
    EXPECT_EQ(top.code, 0) << top.out;
    EXPECT_TRUE(std::regex_search(
        top.out, std::regex{"WORKER +STATE +CPU% +RSS +CALLS/S +IN/S +IN FLIGHT +SERVED"}))
        << top.out;
    EXPECT_TRUE(std::regex_search(
        top.out,
        std::regex{
            "\nback/\\d+ +ready +\\d+\\.\\d +\\d+(\\.\\d+)?[KMG] +\\d+\\.\\d +\\d+\\.\\d +\\d"}))
        << top.out;

    auto metrics = mobctl(c, {"metrics", "testapp"});
    EXPECT_TRUE(std::regex_search(
        metrics.out, std::regex{fmt::format("mob_worker_cpu_percent\\{{app=\"testapp\",role="
                                            "\"back\",slot=\"\\d\",pid=\"{}\"\\}} [0-9.]+\n",
                                            busy)}))
        << metrics.out;
    EXPECT_TRUE(std::regex_search(
        metrics.out, std::regex{"mob_worker_rss_bytes\\{app=\"testapp\",role=\"front\",slot=\"0\","
                                "pid=\"\\d+\"\\} \\d+\n"}))
        << metrics.out;
    EXPECT_TRUE(spinning.get(10s).ok());
}

}  // namespace
}  // namespace mob::test
