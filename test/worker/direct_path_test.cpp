// The direct path (worker/src/direct_sink.hpp): a thread that calls or casts while the
// worker's I/O thread sleeps sends the message itself. These tests play the broker (a
// ROUTER on an ipc endpoint, in a thread of its own) with a heartbeat of ten seconds, so
// the worker's I/O thread sleeps that long unless something wakes it, and check what the
// direct path must still wake it for: the deadline of a call it sent, and a message that
// arrived while another thread was using the socket (the socket's descriptor signals
// news once: the thread that used the socket took that signal, and the sleeping I/O
// thread would not hear of it).
#include <mob/codec.hpp>
#include <mob/protocol.hpp>
#include <mob/worker.hpp>

#include <gtest/gtest.h>
#include <unistd.h>
#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
namespace proto = mob::protocol;
using clock_type = std::chrono::steady_clock;

/// A broker that welcomes every worker with a 10 s heartbeat, answers a CALL of "echo"
/// with its argument, and ignores everything else (a CALL of "never" is never answered).
class fake_broker {
  public:
    fake_broker()
        : endpoint_("ipc:///tmp/mob-direct-path-" + std::to_string(::getpid()) + "-" +
                    std::to_string(++count_)),
          router_(context_, zmq::socket_type::router) {
        router_.set(zmq::sockopt::linger, 0);
        router_.bind(endpoint_);  // before the worker connects; then the thread's alone
        thread_ = std::thread([this] { run(); });
    }
    ~fake_broker() {
        stop_ = true;
        thread_.join();
        router_.close();
        ::unlink(endpoint_.substr(6).c_str());
    }
    const std::string& endpoint() const { return endpoint_; }
    std::uint64_t casts_seen() const { return casts_.load(); }

  private:
    void run() {
        proto::frames f;
        while (!stop_) {
            zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, 20ms);
            for (;;) {
                f.clear();
                if (!zmq::recv_multipart(router_, std::back_inserter(f), zmq::recv_flags::dontwait))
                    break;
                handle(f);
            }
        }
    }
    void handle(proto::frames& f) {
        if (f.size() < 2)
            return;
        const std::string peer{proto::view(f[0])};
        auto body = std::span{f}.subspan(1);
        const auto command = proto::command_of(body.front());
        if (command == proto::command::hello) {
            proto::welcome w;
            w.app = "app";
            w.worker_id = peer;
            w.heartbeat_ms = 10000;
            answer(peer, proto::make_welcome(w));
        } else if (command == proto::command::call) {
            auto call = proto::parse_call(body);
            if (!call)
                return;
            if (call->head.method() == "echo") {
                answer(peer, proto::make_result(proto::outcome{call->head.id(), mob::errc::ok,
                                                               mob::type_name<int>()},
                                                std::move(call->args)));
            } else if (call->head.method() == "sink") {
                ++casts_;
            }
        }
    }
    void answer(const std::string& peer, proto::frames f) {
        router_.send(zmq::buffer(peer), zmq::send_flags::sndmore);
        zmq::send_multipart(router_, f);
    }

    static inline std::atomic<int> count_{0};
    std::string endpoint_;
    zmq::context_t context_{1};
    zmq::socket_t router_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> casts_{0};
    std::thread thread_;
};

mob::worker_options options_for(const fake_broker& b) {
    return mob::worker_options{.endpoint = b.endpoint(), .app = "app", .role = "front"};
}

TEST(direct_path, a_call_sent_while_the_io_thread_sleeps_still_times_out_on_time) {
    fake_broker broker;
    mob::worker w{options_for(broker)};
    ASSERT_TRUE(w.wait_until_welcomed(10s));
    auto back = w.require("back").with({.timeout = 200ms});
    ASSERT_EQ(back.call<int>("echo", 1).value(5s), 1);  // the path works at all

    // The I/O thread now sleeps until its next heartbeat, ten seconds away: the call's
    // own deadline must wake it, not get()'s bound of five seconds.
    const auto start = clock_type::now();
    auto r = back.call<int>("never").get(5s);
    const auto took = clock_type::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, mob::errc::timeout);
    EXPECT_NE(r.error().message.find("the call's timeout"), std::string::npos) << r.error().message;
    EXPECT_LT(took, 3s);
}

TEST(direct_path, a_result_that_comes_while_another_thread_sends_is_read) {
    fake_broker broker;
    mob::worker w{options_for(broker)};
    ASSERT_TRUE(w.wait_until_welcomed(10s));
    auto back = w.require("back");

    // One thread casts all the while (each cast uses the socket, and so may take in the
    // signal of a result on its way), never more than 32 ahead of what the broker has
    // read (a flood would only queue the calls behind it); the other waits for each of
    // its calls' results in turn, at most two seconds each (the I/O thread, left
    // asleep, would wake ten seconds later).
    std::atomic<bool> done{false};
    std::uint64_t casts = 0;
    std::thread caster{[&] {
        while (!done) {
            if (casts >= broker.casts_seen() + 32) {
                std::this_thread::yield();
                continue;
            }
            back.cast("sink", 1);
            ++casts;
        }
    }};
    int answered = 0;
    for (int i = 0; i < 3000; ++i) {
        auto r = back.call<int>("echo", i).get(2s);
        if (!r.ok() || *r != i) {
            ADD_FAILURE() << "call " << i << ": "
                          << (r.ok() ? std::to_string(*r) : r.error().message);
            break;
        }
        ++answered;
    }
    done = true;
    caster.join();
    EXPECT_EQ(answered, 3000);
    EXPECT_GT(casts, 0u);
    // Every cast the worker accepted reaches the broker (none is lost on the way).
    auto until = clock_type::now() + 5s;
    while (broker.casts_seen() < casts && clock_type::now() < until)
        std::this_thread::yield();
    EXPECT_EQ(broker.casts_seen(), casts);
}

}  // namespace
