// systemd (issue 12): what the kingpin tells a NOTIFY_SOCKET (READY=1 once full with a
// STATUS= line, RELOADING=1 then READY=1 around a reload, STOPPING=1 when it stops,
// WATCHDOG=1 only when WATCHDOG_USEC asks), read here from a datagram socket the test
// binds as systemd would; and socket activation: listening sockets passed as fd 3, 4, ...
// with LISTEN_FDS, LISTEN_PID (the kingpin's own pid) and LISTEN_FDNAMES go to the role
// listener of the same name, and "mob" becomes the kingpin's TCP endpoint.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops_support.hpp"

namespace mob::test {
namespace {

/// What systemd's notify socket receives: one datagram per sd_notify() call.
class notify_socket {
  public:
    notify_socket() : path_(dir_.path() + "/notify.sock") {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("cannot bind the notify socket");
    }
    ~notify_socket() { ::close(fd_); }
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;

    const std::string& path() const { return path_; }

    /// Waits until a message from index `from` on contains `text`; returns its index.
    std::optional<std::size_t> wait_for(std::string_view text, std::chrono::milliseconds timeout,
                                        std::size_t from = 0) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (std::size_t i = from;;) {
            for (; i < messages_.size(); ++i) {
                if (messages_[i].find(text) != std::string::npos)
                    return i;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) > 0)
                read_all();
        }
    }
    /// How many messages so far (after reading what is waiting) contain `text`.
    std::size_t count(std::string_view text, std::size_t from = 0) {
        read_all();
        std::size_t n = 0;
        for (std::size_t i = from; i < messages_.size(); ++i)
            n += messages_[i].find(text) != std::string::npos ? 1 : 0;
        return n;
    }
    const std::vector<std::string>& messages() const { return messages_; }
    /// When message `i` was read (within a poll's wake-up of its sending).
    std::chrono::steady_clock::time_point time(std::size_t i) const { return times_.at(i); }
    std::string dump() const {
        std::string out;
        for (const auto& m : messages_)
            out += "[" + m + "]\n";
        return out;
    }

  private:
    void read_all() {
        char buf[4096];
        for (;;) {
            auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0)
                return;
            messages_.emplace_back(buf, static_cast<std::size_t>(n));
            times_.push_back(std::chrono::steady_clock::now());
        }
    }

    temp_dir dir_;
    std::string path_;
    int fd_ = -1;
    std::vector<std::string> messages_;
    std::vector<std::chrono::steady_clock::time_point> times_;
};

/// The ops app (back 3, front 1) with `notify` as its NOTIFY_SOCKET.
std::map<std::string, std::string> notified(const notify_socket& notify,
                                            std::map<std::string, std::string> env = {}) {
    env.emplace("NOTIFY_SOCKET", notify.path());
    env.emplace("TEST_BACK", "3");
    return env;
}

TEST(systemd_notify, says_ready_with_its_counts_once_the_app_is_full) {
    notify_socket notify;
    cluster c{MOB_OPS_APP_V1, notified(notify)};
    auto ready = notify.wait_for("READY=1", 30s);
    ASSERT_TRUE(ready) << notify.dump() << c.kingpin().output();
    EXPECT_NE(notify.messages()[*ready].find("STATUS=full: back 3/3, front 1/1"), std::string::npos)
        << notify.dump();
    EXPECT_TRUE(c.wait_full(1s)) << "READY=1 before the app was full\n" << c.kingpin().output();
    // Before it: the counts as they grew, never READY.
    auto starting = notify.wait_for("STATUS=starting: back ", 0ms);
    ASSERT_TRUE(starting) << notify.dump();
    EXPECT_LT(*starting, *ready);
    EXPECT_EQ(notify.count("READY=1"), 1u) << notify.dump();
}

TEST(systemd_notify, says_reloading_then_ready_around_a_reload_by_mobctl_and_by_sighup) {
    notify_socket notify;
    cluster c{MOB_OPS_APP_V1, notified(notify)};
    auto ready = notify.wait_for("READY=1", 30s);
    ASSERT_TRUE(ready) << notify.dump() << c.kingpin().output();

    auto mark = c.kingpin().line_count();
    auto r = mobctl(c, {"reload", "testapp"});
    ASSERT_EQ(r.code, 0) << r.out;
    auto reloading = notify.wait_for("RELOADING=1", 10s, *ready + 1);
    ASSERT_TRUE(reloading) << notify.dump();
    EXPECT_NE(notify.messages()[*reloading].find("MONOTONIC_USEC="), std::string::npos);
    EXPECT_NE(notify.messages()[*reloading].find("STATUS=reloading (mobctl)"), std::string::npos)
        << notify.dump();
    auto again = notify.wait_for("READY=1", 60s, *reloading + 1);
    ASSERT_TRUE(again) << notify.dump() << c.kingpin().output();
    EXPECT_NE(notify.messages()[*again].find("STATUS=full: back 3/3, front 1/1"), std::string::npos)
        << notify.dump();
    // The kingpin's own line of it (through its output pipe: it may come after READY=1).
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"reload: done"}, 5s, mark)) << c.kingpin().output();

    c.kingpin().signal(SIGHUP);
    auto by_signal = notify.wait_for("RELOADING=1", 10s, *again + 1);
    ASSERT_TRUE(by_signal) << notify.dump();
    EXPECT_NE(notify.messages()[*by_signal].find("STATUS=reloading (SIGHUP)"), std::string::npos)
        << notify.dump();
    EXPECT_TRUE(notify.wait_for("READY=1", 60s, *by_signal + 1)) << notify.dump();
}

TEST(systemd_notify, says_stopping_on_sigterm_and_pings_no_watchdog_unasked) {
    notify_socket notify;
    cluster c{MOB_OPS_APP_V1, notified(notify)};
    ASSERT_TRUE(notify.wait_for("READY=1", 30s)) << notify.dump() << c.kingpin().output();
    // Without WATCHDOG_USEC: no ping, however long it runs (a ping is due at once).
    EXPECT_FALSE(notify.wait_for("WATCHDOG=1", 1500ms)) << notify.dump();

    c.kingpin().signal(SIGTERM);
    auto stopping = notify.wait_for("STOPPING=1", 10s);
    ASSERT_TRUE(stopping) << notify.dump();
    EXPECT_NE(notify.messages()[*stopping].find("STATUS=stopping: SIGTERM"), std::string::npos)
        << notify.dump();
    auto status = c.kingpin().wait_exit(20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << c.kingpin().output();
    EXPECT_EQ(notify.count("WATCHDOG=1"), 0u) << notify.dump();
}

TEST(systemd_notify, pings_the_watchdog_at_half_the_interval_from_its_loop) {
    notify_socket notify;
    // 400 ms: a ping every 200 ms.
    cluster c{MOB_OPS_APP_V1, notified(notify, {{"WATCHDOG_USEC", "400000"}})};
    auto first = notify.wait_for("WATCHDOG=1", 10s);
    ASSERT_TRUE(first) << notify.dump() << c.kingpin().output();
    auto t0 = std::chrono::steady_clock::now();
    std::size_t at = *first;
    for (int i = 0; i < 5; ++i) {
        auto next = notify.wait_for("WATCHDOG=1", 2s, at + 1);
        ASSERT_TRUE(next) << "ping " << i << " missing\n" << notify.dump();
        at = *next;
    }
    auto took = std::chrono::steady_clock::now() - t0;
    // 5 intervals of 200 ms: not one per turn of the loop, and none missed.
    EXPECT_GE(took, 800ms);
    EXPECT_LT(took, 1800ms);
    EXPECT_TRUE(c.kingpin().wait_for(std::regex{"systemd watchdog: every 400 ms"}, 5s))
        << c.kingpin().output();
}

TEST(systemd_notify, a_stuck_loop_stops_pinging_the_watchdog) {
    notify_socket notify;
    // Pings every 150 ms; a death holds the kingpin's loop 1500 ms (its on_death
    // observer runs in the loop), as a stuck loop would.
    cluster c{MOB_TEST_APP,
              {{"NOTIFY_SOCKET", notify.path()},
               {"WATCHDOG_USEC", "300000"},
               {"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_STALL_MS", "1500"}}};
    ASSERT_TRUE(notify.wait_for("READY=1", 30s)) << notify.dump() << c.kingpin().output();
    auto before = notify.wait_for("WATCHDOG=1", 2s, notify.messages().size());
    ASSERT_TRUE(before) << notify.dump();
    auto back = c.ready_pids("back");
    ASSERT_EQ(back.size(), 1u) << c.kingpin().output();
    ::kill(*back.begin(), SIGKILL);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT observer stall"}, 10s))
        << c.kingpin().output();
    // The pings go on once the loop turns again, after a gap of the stall's length.
    std::size_t at = *before;
    auto longest = std::chrono::steady_clock::duration::zero();
    for (int i = 0; i < 12; ++i) {
        auto next = notify.wait_for("WATCHDOG=1", 3s, at + 1);
        ASSERT_TRUE(next) << "the pings did not resume\n" << notify.dump();
        longest = std::max(longest, notify.time(*next) - notify.time(at));
        at = *next;
    }
    EXPECT_GE(longest, 1200ms) << "pinged while the loop was stuck\n" << notify.dump();
}

/// A listening TCP socket on 127.0.0.1, any port, not CLOEXEC (it is passed on).
struct listening_socket {
    int fd = -1;
    std::uint16_t port = 0;
    listening_socket() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("cannot listen");
        port = ntohs(a.sin_port);
    }
    ~listening_socket() { ::close(fd); }
    listening_socket(const listening_socket&) = delete;
    listening_socket& operator=(const listening_socket&) = delete;
};

/// Connects to 127.0.0.1:`port` and reads one line (at most `timeout`); "" if none.
std::string first_line(std::uint16_t port, std::chrono::milliseconds timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    std::string line;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        char c = 0;
        while (line.find('\n') == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{fd, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0 ||
                ::recv(fd, &c, 1, 0) != 1)
                break;
            line += c;
        }
    }
    ::close(fd);
    return line;
}

TEST(socket_activation, a_role_accepts_on_the_socket_systemd_passed_under_its_listener_name) {
    listening_socket passed;
    // The web role's listener "line" names a port of its own; the socket passed under
    // the same name replaces it.
    cluster c{MOB_TEST_APP,
              {{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_LISTEN", "line=127.0.0.1:0"},
               {"TEST_WEB", "1"},
               {"LISTEN_FDS", "1"},
               {"LISTEN_FDNAMES", "line"}},
              {passed.fd}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{fmt::format("listening: line on 127.0.0.1:{} for role web \\(socket from "
                               "systemd\\)",
                               passed.port)},
        5s))
        << c.kingpin().output();
    auto line = first_line(passed.port, 5s);
    auto web = c.ready_pids("web");
    ASSERT_EQ(web.size(), 1u) << c.kingpin().output();
    EXPECT_EQ(line, fmt::format("web {}\n", *web.begin())) << c.kingpin().output();
    // The worker got it as its own activation: fd 3, CLOEXEC once taken, variables gone.
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{
            fmt::format("EVENT listener web {} line fd 3 cloexec 1 env unset", *web.begin())},
        5s))
        << c.kingpin().output();
}

TEST(socket_activation, a_socket_named_mob_is_the_kingpins_tcp_endpoint) {
    listening_socket passed;
    const auto endpoint = fmt::format("tcp://127.0.0.1:{}", passed.port);
    // The kingpin could not bind this port itself: the test's socket holds it.
    cluster c{MOB_TEST_APP,
              {{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_REMOTE", "1"},
               {"MOB_TCP_ENDPOINT", endpoint},
               {"MOB_TCP_INSECURE", "1"},
               {"LISTEN_FDS", "1"},
               {"LISTEN_FDNAMES", "mob"}},
              {passed.fd}};
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"is the socket systemd passed as 'mob'"}, 15s))
        << c.kingpin().output();
    worker remote{worker_options{.endpoint = endpoint, .app = "testapp", .role = "remote"}};
    remote.ready();
    ASSERT_TRUE(remote.wait_until_welcomed(15s)) << c.kingpin().output();
    EXPECT_TRUE(c.wait_full(15s)) << c.kingpin().output();
}

TEST(socket_activation, a_socket_no_listener_names_is_closed_with_a_warning) {
    listening_socket passed;
    cluster c{MOB_TEST_APP,
              {{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"LISTEN_FDS", "1"},
               {"LISTEN_FDNAMES", "nobody"}},
              {passed.fd}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{"socket activation: no listener is named 'nobody' \\(descriptor 3\\): closed"},
        5s))
        << c.kingpin().output();
}

}  // namespace
}  // namespace mob::test
