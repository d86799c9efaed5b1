// The kingpin's CPU and memory sampler (broker/src/proc_sampler.*): it parses
// /proc/PID/stat, reads this very process, and computes CPU% between two
// samples of a fake /proc root whose tick counts the test sets.
#include "proc_sampler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace {

using mob::detail::proc_sampler;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A directory laid out like /proc, removed at the end.
struct fake_proc {
    fs::path root = fs::temp_directory_path() / fmt_name();
    fake_proc() { fs::create_directories(root); }
    ~fake_proc() { fs::remove_all(root); }
    static std::string fmt_name() {
        return "mob-fake-proc-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand());
    }
    void set(pid_t pid, std::uint64_t utime, std::uint64_t stime, std::uint64_t pages) const {
        auto dir = root / std::to_string(pid);
        fs::create_directories(dir);
        // Fields 1-13, utime and stime (14, 15), 16-23, rss (24), and more after it.
        std::ofstream{dir / "stat"} << pid << " (my (odd) worker) S 1 1 1 0 -1 4194560 100 0 0 0 "
                                    << utime << " " << stime << " 0 0 20 0 3 0 1234 20480000 "
                                    << pages << " 18446744073709551615 1 1 0 0\n";
    }
};

TEST(proc_sampler, parses_ticks_and_rss_of_a_stat_line_whose_command_holds_spaces_and_parens) {
    auto f = mob::detail::parse_stat(
        "42 (a b) c) R 1 1 1 0 -1 0 0 0 0 0 700 300 0 0 20 0 1 0 5 6 25 99 1\n");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->ticks, 1000u);
    EXPECT_EQ(f->rss_pages, 25u);
    // The line ends at rss: still whole.
    auto last = mob::detail::parse_stat("42 (w) R 1 1 1 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 6 9");
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->rss_pages, 9u);
    EXPECT_FALSE(mob::detail::parse_stat("42 (short) R 1"));
    EXPECT_FALSE(
        mob::detail::parse_stat("42 (no rss) R 1 1 1 0 -1 0 0 0 0 0 700 300 0 0 20 0 1 0 5 6"));
    EXPECT_FALSE(
        mob::detail::parse_stat("42 (x) R 1 1 1 0 -1 0 0 0 0 0 7x 300 0 0 20 0 1 0 5 6 7"));
    EXPECT_FALSE(mob::detail::parse_stat("no parens at all"));
}

TEST(proc_sampler, reads_the_same_rss_as_statm_says) {
    // The kernel's two views of this process's resident pages, read back to back. The
    // process keeps allocating in between (the stream below), so they agree within a
    // MiB or a tenth; a wrong field of stat (vsize, rsslim, a tick count) would not.
    proc_sampler s;
    auto self = ::getpid();
    s.sample({self}, proc_sampler::clock::now());
    std::ifstream statm{"/proc/self/statm"};
    std::uint64_t size = 0, resident = 0;
    ASSERT_TRUE(statm >> size >> resident);
    auto u = s.usage(self);
    ASSERT_TRUE(u.has_value());
    const double pages =
        static_cast<double>(u->rss_bytes) / static_cast<double>(::sysconf(_SC_PAGESIZE));
    const double slack = std::max(0.1 * static_cast<double>(resident),
                                  static_cast<double>((1 << 20) / ::sysconf(_SC_PAGESIZE)));
    EXPECT_NEAR(pages, static_cast<double>(resident), slack);
}

TEST(proc_sampler, reads_the_resident_memory_of_its_own_process) {
    proc_sampler s;
    auto self = ::getpid();
    s.sample({self}, proc_sampler::clock::now());
    auto u = s.usage(self);
    ASSERT_TRUE(u.has_value());
    EXPECT_GT(u->rss_bytes, 1u << 20);  // a test program holds more than a MiB
    EXPECT_LT(u->rss_bytes, 1ull << 34);
    EXPECT_EQ(u->cpu_percent, 0.0);  // no sample before it
}

TEST(proc_sampler, computes_cpu_percent_from_the_ticks_between_two_samples) {
    fake_proc p;
    proc_sampler s{p.root, 100, 4096};
    auto t0 = proc_sampler::clock::now();
    p.set(7, 100, 50, 256);
    s.sample({7}, t0);
    p.set(7, 130, 70, 512);  // 50 ticks of 1/100 s in 2 s: a quarter of a core
    s.sample({7}, t0 + 2s);
    auto u = s.usage(7);
    ASSERT_TRUE(u.has_value());
    EXPECT_DOUBLE_EQ(u->cpu_percent, 25.0);
    EXPECT_EQ(u->rss_bytes, 512u * 4096u);
}

TEST(proc_sampler, forgets_a_process_it_cannot_read_or_is_no_longer_asked_about) {
    fake_proc p;
    proc_sampler s{p.root, 100, 4096};
    p.set(7, 1, 1, 1);
    p.set(8, 1, 1, 1);
    auto t0 = proc_sampler::clock::now();
    s.sample({7, 8, 9}, t0);
    EXPECT_TRUE(s.usage(7));
    EXPECT_FALSE(s.usage(9));  // no such directory: ended
    s.sample({8}, t0 + 1s);
    EXPECT_FALSE(s.usage(7));
    EXPECT_TRUE(s.usage(8));
}

TEST(proc_sampler, reads_many_processes_in_turns_of_its_per_sample_count_going_round) {
    fake_proc p;
    proc_sampler s{p.root, 100, 4096, /*per_sample=*/2};
    const std::vector<pid_t> pids{15, 11, 14, 12, 13};  // in no order: read in pid order
    for (auto pid : pids)
        p.set(pid, 0, 0, 1);
    auto t0 = proc_sampler::clock::now();
    s.sample(pids, t0);
    EXPECT_TRUE(s.usage(11) && s.usage(12));
    EXPECT_FALSE(s.usage(13) || s.usage(14) || s.usage(15));
    s.sample(pids, t0 + 1s);
    EXPECT_TRUE(s.usage(13) && s.usage(14));
    EXPECT_FALSE(s.usage(15));
    // The third turn reads 15, then wraps round to 11, whose CPU% spans its two reads.
    p.set(11, 100, 100, 1);  // 200 ticks of 1/100 s in 2 s: one core
    s.sample(pids, t0 + 2s);
    ASSERT_TRUE(s.usage(15));
    ASSERT_TRUE(s.usage(11));
    EXPECT_DOUBLE_EQ(s.usage(11)->cpu_percent, 100.0);
    EXPECT_DOUBLE_EQ(s.usage(12)->cpu_percent, 0.0);  // not read again yet
}

}  // namespace
