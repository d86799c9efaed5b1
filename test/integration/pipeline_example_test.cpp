// examples/pipeline: ingest -> enrich -> store, with deadlines and idempotent calls.
// A middle worker killed between its write to the store and its answer: the broker
// runs its request again elsewhere, the store ignores the repeated write, and every
// request completes exactly once in effect.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>

#include "cluster.hpp"

namespace mob::test {
namespace {

TEST(pipeline_example, every_request_completes_once_in_effect_when_a_middle_worker_is_killed) {
    temp_dir dir;
    constexpr int requests = 12;
    child_process app{{MOB_PIPELINE_APP},
                      {{"MOB_RUNTIME_DIR", dir.path()},
                       {"PIPELINE_REQUESTS", std::to_string(requests)},
                       {"PIPELINE_WORK_MS", "500"}}};

    // The worker has written request 3 to the store and spends 500 ms more before it
    // answers: killed now, its request is in flight with the store already written.
    const std::regex stored{"(?:^|stdout: )enrich (\\d+) stored request 3$"};
    ASSERT_TRUE(app.wait_for(stored, 15s)) << app.output();
    const auto victim = app.matches(stored).front();
    ASSERT_EQ(::kill(std::stoi(victim), SIGKILL), 0);

    EXPECT_TRUE(app.wait_for(std::regex{"enrich worker pid " + victim + " died"}, 5s))
        << app.output();
    EXPECT_TRUE(
        app.wait_for(std::regex{"in flight at enrich/" + victim + ".*running it again"}, 5s))
        << app.output();
    EXPECT_TRUE(app.wait_for(
        std::regex{"(?:^|stdout: )store: request 3 written again; kept the first write$"}, 5s))
        << app.output();
    const auto all_done = fmt::format(
        "(?:^|stdout: )ingest: {0} of {0} requests done; the store holds {0} records; repeated "
        "writes "
        "ignored: [1-9]",
        requests);
    ASSERT_TRUE(app.wait_for(std::regex{all_done}, 20s)) << app.output();

    // Each request came back once, with the record the store kept: request 3's names the
    // killed worker, whose write was the first.
    std::map<std::string, int> done;
    for (const auto& id :
         app.matches(std::regex{"(?:^|stdout: )ingest: request (\\d+) done: REQUEST \\1 "}))
        ++done[id];
    EXPECT_EQ(done.size(), static_cast<std::size_t>(requests)) << app.output();
    for (const auto& [id, times] : done)
        EXPECT_EQ(times, 1) << "request " << id;
    EXPECT_TRUE(
        app.wait_for(std::regex{"(?:^|stdout: )ingest: request 3 done: REQUEST 3 \\(enriched by " +
                                victim + "\\)$"},
                     1s))
        << app.output();
    // The broker's retry was enough: ingest never had to send a request again.
    EXPECT_TRUE(app.matches(std::regex{"(?:^|stdout: )ingest: request \\d+ failed"}).empty())
        << app.output();

    app.signal(SIGINT);
    auto status = app.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << app.output();
}

}  // namespace
}  // namespace mob::test
