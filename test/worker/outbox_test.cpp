// mob::detail::outbox: its bound, its wake-up, and the shutdown handshake: closed while
// producers push, every call it accepted is still there to complete, none is lost.
#include "outbox.hpp"
#include "call_table.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using mob::detail::outbox;
using mob::detail::work;
using push_result = outbox::push_result;

std::unique_ptr<work> message() {
    return std::make_unique<work>(mob::detail::outgoing_message{});
}

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

TEST(worker_outbox, refuses_work_past_its_bound_and_takes_more_once_some_is_taken) {
    outbox box{2};
    auto w1 = message();
    EXPECT_EQ(box.push(w1), push_result::queued);
    auto w2 = std::make_unique<work>(mob::detail::ready_request{});
    EXPECT_EQ(box.push(w2), push_result::queued);
    auto over = message();
    EXPECT_EQ(box.push(over), push_result::full);
    EXPECT_NE(over, nullptr);        // left with the caller
    EXPECT_NE(box.take(), nullptr);  // one out: room for one more
    EXPECT_EQ(box.push(over), push_result::queued);
    EXPECT_EQ(over, nullptr);
}

TEST(worker_outbox, wakes_its_consumer_only_when_it_sleeps) {
    outbox box{10};
    box.set_sleeping(false);
    auto w = message();
    box.push(w);
    EXPECT_FALSE(readable(box.wake_fd()));
    box.set_sleeping(true);
    auto w2 = message();
    box.push(w2);
    EXPECT_TRUE(readable(box.wake_fd()));
    EXPECT_TRUE(box.has_work());
}

TEST(worker_outbox, once_closed_it_refuses_everything) {
    outbox box{10};
    box.close();
    auto w = message();
    EXPECT_EQ(box.push(w), push_result::closed);
    EXPECT_FALSE(box.has_work());
}

TEST(worker_outbox, closed_while_producers_push_every_accepted_call_completes_and_none_hangs) {
    constexpr int producers = 4;
    outbox box{1000};  // small: producers meet "full" too, and retry
    std::atomic<bool> go{false};
    std::atomic<int> accepted{0};
    std::vector<std::shared_ptr<mob::detail::call_state>> states[producers];
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            while (!go)
                std::this_thread::yield();
            for (std::uint64_t i = 1;; ++i) {
                auto s = std::make_shared<mob::detail::call_state>();
                auto w = std::make_unique<work>(mob::detail::outgoing_call{i, {}, s, {}, {}});
                auto r = box.push(w);
                if (r == push_result::closed)
                    return;  // the caller is told, nothing is left behind
                if (r == push_result::full) {
                    std::this_thread::yield();
                    continue;
                }
                states[p].push_back(s);
                ++accepted;
            }
        });
    }
    // The consumer completes what it takes, as the I/O thread's calls would be.
    std::atomic<std::size_t> outstanding{0};
    mob::detail::call_table calls{
        [](const std::shared_ptr<mob::detail::call_state>& s, mob::detail::raw_result r) {
            mob::detail::complete_call(s, std::move(r), {});
        },
        {},
        outstanding};
    auto take_some = [&] {
        for (int n = 0; n < 1000; ++n) {
            auto w = box.take();
            if (!w)
                return;
            auto& c = std::get<mob::detail::outgoing_call>(w->item);
            ++outstanding;
            calls.add(reinterpret_cast<std::uintptr_t>(c.state.get()), {c.state, {}}, {});
        }
    };
    go = true;
    auto until = std::chrono::steady_clock::now() + 2s;
    while (accepted < 20000 && std::chrono::steady_clock::now() < until)
        take_some();
    box.close();  // producers still pushing
    for (auto& t : threads)
        t.join();
    while (box.has_work())
        take_some();  // what close() let in is all there
    calls.fail_all(mob::errc::shutting_down, "the worker stopped");
    int completed = 0;
    for (auto& list : states) {
        for (auto& s : list) {
            std::lock_guard lock{s->mutex};
            completed += s->result.has_value() ? 1 : 0;
        }
    }
    EXPECT_GT(accepted.load(), 0);
    EXPECT_EQ(completed, accepted.load());
    EXPECT_EQ(outstanding.load(), 0u);
}

}  // namespace
