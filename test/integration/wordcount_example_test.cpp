// examples/wordcount: a map-reduce over a `back` role of 2 to 8 workers, with results
// and streamed partial counts. Scaling the role while it counts changes how many backs
// serve a round, never the answer, which this test computes again on its own.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <vector>

#include "cluster.hpp"

namespace mob::test {
namespace {

/// A text of `lines` lines drawn from a small vocabulary with capitals and punctuation
/// (a fixed sequence: the same text at every run).
std::string write_text(const std::string& path, int lines) {
    static const std::vector<std::string> vocabulary{
        "The",   "the",    "mob,",   "kingpin", "worker.", "don't", "role",  "call",  "back-end",
        "front", "Front",  "count!", "word",    "(words)", "a",     "of",    "to",    "and",
        "it's",  "ZeroMQ", "socket", "42",      "x1y2",    "end;",  "again", "merge", "map"};
    std::ofstream out{path};
    std::uint32_t state = 12345;
    for (int i = 0; i < lines; ++i) {
        const int words = 3 + i % 9;
        for (int j = 0; j < words; ++j) {
            state = state * 1103515245u + 12345u;
            out << (j == 0 ? "" : " ") << vocabulary[(state >> 16) % vocabulary.size()];
        }
        out << "\n";
    }
    return path;
}

/// The answer, counted here without the example's code: words are runs of letters,
/// lowercased; the three most frequent, ties alphabetically.
std::string expected_digest(const std::string& path) {
    std::ifstream in{path};
    std::map<std::string, std::uint64_t> counts;
    std::uint64_t total = 0;
    std::string word;
    for (char c; in.get(c);) {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            continue;
        }
        if (!word.empty()) {
            ++counts[word];
            ++total;
            word.clear();
        }
    }
    std::vector<std::pair<std::string, std::uint64_t>> top{counts.begin(), counts.end()};
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return fmt::format("{} words, {} distinct; most frequent: {} {}, {} {}, {} {}", total,
                       counts.size(), top[0].first, top[0].second, top[1].first, top[1].second,
                       top[2].first, top[2].second);
}

/// Runs `mobctl scale wordcount back N`; true once it says so.
::testing::AssertionResult scale_back(const std::string& runtime_dir, int n) {
    child_process mobctl{{MOB_MOBCTL, "scale", "wordcount", "back", std::to_string(n),
                          "--runtime-dir", runtime_dir}};
    auto status = mobctl.wait_exit(10s);
    if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0 ||
        mobctl.matches(std::regex{"scaled to " + std::to_string(n)}).empty()) {
        return ::testing::AssertionFailure() << "mobctl scale: " << mobctl.output();
    }
    return ::testing::AssertionSuccess();
}

TEST(wordcount_example, scaling_the_backs_during_a_run_changes_the_speed_not_the_answer) {
    temp_dir dir;
    const auto text = write_text(dir.path() + "/text.txt", 1000);
    const auto expected = expected_digest(text);
    // 40 chunks of 4 pieces at 5 ms each: about 0.4 s a round on 2 backs.
    child_process app{{MOB_WORDCOUNT_APP, text},
                      {{"MOB_RUNTIME_DIR", dir.path()},
                       {"WORDCOUNT_LINES_PER_CHUNK", "25"},
                       {"WORDCOUNT_PIECE_MS", "5"}}};
    const std::regex round_done{"(?:^|stdout: )round \\d+: (.*) \\(\\d+ ms, \\d+ backs\\)$"};
    const std::regex round_failed{"(?:^|stdout: )round \\d+ failed"};

    ASSERT_TRUE(app.wait_for(round_done, 20s)) << app.output();

    // Up to 6 while round 2 runs, down to 2 while a later round runs.
    auto started = app.wait_for(std::regex{"(?:^|stdout: )round 2 started"}, 10s);
    ASSERT_TRUE(started) << app.output();
    ASSERT_TRUE(scale_back(dir.path(), 6));
    auto wider = app.wait_for(
        std::regex{"(?:^|stdout: )round \\d+: .* \\(\\d+ ms, [3-8] backs\\)$"}, 20s, *started);
    EXPECT_TRUE(wider) << "no round was served by more than 2 backs:\n" << app.output();
    started =
        app.wait_for(std::regex{"(?:^|stdout: )round \\d+ started"}, 10s, wider.value_or(*started));
    ASSERT_TRUE(started) << app.output();
    ASSERT_TRUE(scale_back(dir.path(), 2));
    EXPECT_TRUE(app.wait_for(std::regex{"(?:^|stdout: )round \\d+: .* \\(\\d+ ms, 2 backs\\)$"},
                             20s, *started + 1))
        << "no round on 2 backs after scaling down:\n"
        << app.output();

    // Every round, before, during and after each scale, has the same, right answer.
    const auto answers = app.matches(round_done);
    EXPECT_GE(answers.size(), 4u) << app.output();
    for (const auto& answer : answers)
        EXPECT_EQ(answer, expected) << app.output();
    EXPECT_TRUE(app.matches(round_failed).empty()) << app.output();

    app.signal(SIGINT);
    auto status = app.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << app.output();
}

}  // namespace
}  // namespace mob::test
