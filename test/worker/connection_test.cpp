// mob::detail::connection against a broker the test plays: a ROUTER on an inproc
// endpoint of the same context, and a clock the test moves. It says HELLO first and again
// on HELLO_AGAIN, heartbeats when idle, and declares the broker lost after heartbeat x
// liveness of silence.
#include "connection.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
namespace proto = mob::protocol;
using mob::detail::connection;

struct a_connection : ::testing::Test {
    zmq::context_t context{1};
    zmq::socket_t broker{context, zmq::socket_type::router};
    mob::worker_options options;
    connection::time_point now{};  // the connection's clock
    std::optional<connection> conn;
    std::string id = "back/1@test#1";

    void SetUp() override {
        static int n = 0;
        options.endpoint = "inproc://connection-test-" + std::to_string(++n);
        options.role = "back";
        options.app = "app";
        options.heartbeat = 1000ms;
        options.liveness = 3;
        broker.set(zmq::sockopt::linger, 0);
        broker.bind(options.endpoint);
        proto::hello h;
        h.app = "app";
        h.role = "back";
        conn.emplace(context, options, id, h, [this] { return now; });
    }
    void TearDown() override { conn->close(); }

    /// The next message the broker gets within a second: its command and frames.
    std::optional<proto::frames> broker_receives() {
        zmq::pollitem_t item{broker.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, 1000ms) <= 0)
            return std::nullopt;
        proto::frames f;
        (void)zmq::recv_multipart(broker, std::back_inserter(f));
        EXPECT_EQ(proto::view(f.front()), id);
        f.erase(f.begin());  // the routing id
        return f;
    }
    std::optional<proto::command> broker_hears() {
        auto f = broker_receives();
        if (!f)
            return std::nullopt;
        return proto::command_of(f->front());
    }
    void broker_says(proto::frames f) {
        broker.send(zmq::buffer(id), zmq::send_flags::sndmore);
        zmq::send_multipart(broker, f);
    }
    /// What the connection reads within a second.
    std::optional<proto::frames> worker_receives() {
        auto until = std::chrono::steady_clock::now() + 1s;
        proto::frames f;
        while (std::chrono::steady_clock::now() < until) {
            if (conn->receive(f))
                return f;
            conn->wait(10ms, -1);
        }
        return std::nullopt;
    }
    /// The broker's WELCOME for `app`, as the connection takes it.
    connection::welcome_outcome broker_welcomes(std::string app) {
        proto::welcome w;
        w.app = std::move(app);
        w.worker_id = id;
        broker_says(proto::make_welcome(w));
        auto f = worker_receives();
        if (!f)
            return connection::welcome_outcome::malformed;
        proto::welcome got;
        return conn->on_welcome(*f, got);
    }
};

TEST_F(a_connection, says_hello_first) {
    conn->say_hello();
    auto f = broker_receives();
    ASSERT_TRUE(f);
    ASSERT_EQ(proto::command_of(f->front()), proto::command::hello);
    auto h = proto::parse_hello(*f);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->role, "back");
    EXPECT_FALSE(conn->welcomed());
}

TEST_F(a_connection, says_hello_again_on_hello_again_once_per_burst) {
    conn->say_hello();
    ASSERT_EQ(broker_hears(), proto::command::hello);
    ASSERT_EQ(broker_welcomes("app"), connection::welcome_outcome::welcomed);
    EXPECT_TRUE(conn->welcomed());
    bool before = false;
    EXPECT_TRUE(conn->on_hello_again([&] { before = true; }));
    EXPECT_TRUE(before);
    EXPECT_FALSE(conn->welcomed());
    EXPECT_EQ(broker_hears(), proto::command::hello);
    // The rest of a burst of HELLO_AGAINs (one per message the broker did not know)
    // is not answered, until heartbeat x liveness has passed without a WELCOME.
    EXPECT_FALSE(conn->on_hello_again([] {}));
    now += 3s;
    EXPECT_TRUE(conn->on_hello_again([] {}));
    EXPECT_EQ(broker_hears(), proto::command::hello);
}

TEST_F(a_connection, does_not_say_a_refused_hello_again) {
    conn->say_hello();
    ASSERT_EQ(broker_hears(), proto::command::hello);
    proto::error_view e{0, {mob::errc::wrong_app, "not this app"}};
    EXPECT_TRUE(conn->on_error(e));
    EXPECT_TRUE(conn->refused());
    now += 10s;
    EXPECT_FALSE(conn->on_hello_again([] {}));
    proto::error_view of_a_message{5, {mob::errc::unknown_role, "no such role"}};
    EXPECT_FALSE(conn->on_error(of_a_message));  // about a SEND, not the HELLO
}

TEST_F(a_connection, refuses_a_welcome_from_another_app) {
    EXPECT_EQ(broker_welcomes("other"), connection::welcome_outcome::wrong_app);
    EXPECT_FALSE(conn->welcomed());
}

TEST_F(a_connection, says_readable_while_a_message_waits_to_be_read) {
    conn->say_hello();
    ASSERT_EQ(broker_hears(), proto::command::hello);
    EXPECT_FALSE(conn->readable());
    broker_says(proto::make_signal(proto::command::heartbeat));
    // readable() looks at the socket itself, not at its descriptor, which a send (say, a
    // direct sender's) may have drained: it is how that sender knows to wake the reader.
    auto until = std::chrono::steady_clock::now() + 1s;
    while (!conn->readable() && std::chrono::steady_clock::now() < until)
        conn->wait(10ms, -1);
    ASSERT_TRUE(conn->readable());
    proto::frames f;
    ASSERT_TRUE(conn->receive(f));
    EXPECT_EQ(proto::command_of(f.front()), proto::command::heartbeat);
    EXPECT_FALSE(conn->readable());
}

TEST_F(a_connection, lets_go_of_the_held_mutex_only_while_it_sleeps) {
    // The I/O thread's sleep: the direct path's mutex is free for a sender meanwhile, and
    // the sleeper has it again when it returns.
    const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_GE(wake_fd, 0);
    std::mutex io_mutex;
    std::atomic<bool> locked{false};
    std::atomic<bool> returned{false};
    bool held_after = false;
    std::thread sleeper{[&] {
        std::unique_lock held{io_mutex};
        locked = true;
        conn->wait(10s, wake_fd, &held);
        held_after = held.owns_lock();
        returned = true;
    }};
    // Taken within a deadline, after the sleeper took it: it let go to sleep.
    auto until = std::chrono::steady_clock::now() + 5s;
    while (!locked && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
    ASSERT_TRUE(locked);
    std::unique_lock<std::mutex> mine{io_mutex, std::defer_lock};
    while (!mine.try_lock() && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
    ASSERT_TRUE(mine.owns_lock());
    std::uint64_t one = 1;
    ASSERT_EQ(::write(wake_fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    mine.unlock();  // the woken sleeper takes it back before returning
    sleeper.join();
    EXPECT_TRUE(returned);
    EXPECT_TRUE(held_after);
    ::close(wake_fd);
}

TEST_F(a_connection, heartbeats_when_idle_and_only_then) {
    conn->say_hello();
    ASSERT_EQ(broker_hears(), proto::command::hello);
    conn->heartbeat_if_idle(now);  // the loop's turn that sent the HELLO, at t0
    now += 999ms;
    conn->heartbeat_if_idle(now);
    EXPECT_EQ(conn->next_heartbeat(), connection::time_point{} + 1000ms);
    now += 1ms;
    conn->heartbeat_if_idle(now);
    EXPECT_EQ(broker_hears(), proto::command::heartbeat);  // the first thing after HELLO
    conn->heartbeat_if_idle(now);                          // just sent: not again
    conn->send(proto::make_signal(proto::command::goodbye));
    EXPECT_EQ(broker_hears(), proto::command::goodbye);
}

TEST_F(a_connection, answers_the_brokers_heartbeat_once_half_an_interval_has_passed) {
    conn->say_hello();
    ASSERT_EQ(broker_hears(), proto::command::hello);
    conn->heartbeat_if_idle(now);
    // Heard within half an interval of its last send: no answer (nothing is due).
    now += 400ms;
    broker_says(proto::make_signal(proto::command::heartbeat));
    ASSERT_TRUE(worker_receives());
    conn->heartbeat_if_idle(now);
    zmq::pollitem_t item{broker.handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&item, 1, 100ms), 0) << "answered within half an interval";
    // Heard later: answered at once, not at the worker's own time (1000 ms), so the
    // answers of every worker the broker heartbeats in one batch come back together.
    now += 200ms;
    broker_says(proto::make_signal(proto::command::heartbeat));
    ASSERT_TRUE(worker_receives());
    conn->heartbeat_if_idle(now);
    EXPECT_EQ(broker_hears(), proto::command::heartbeat);
    EXPECT_EQ(conn->next_heartbeat(), connection::time_point{} + 1600ms);
}

TEST_F(a_connection, declares_the_broker_lost_after_heartbeat_times_liveness_of_silence) {
    conn->say_hello();
    ASSERT_EQ(broker_hears(), proto::command::hello);
    EXPECT_FALSE(conn->broker_lost(now + 3000ms));
    EXPECT_TRUE(conn->broker_lost(now + 3001ms));
    EXPECT_FALSE(conn->broker_lost(now + 4000ms));  // said once
    now += 4000ms;
    broker_says(proto::make_signal(proto::command::heartbeat));
    ASSERT_TRUE(worker_receives());  // heard: rearmed
    EXPECT_FALSE(conn->broker_lost(now));
    EXPECT_TRUE(conn->broker_lost(now + 3001ms));
}

}  // namespace
