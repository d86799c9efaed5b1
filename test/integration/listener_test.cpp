// Shared listening sockets (role_options::listen): the kingpin binds once and every
// worker of the role accepts on the same socket, passed as systemd's socket activation
// does. The web role of the test app (TEST_LISTEN) answers each connection with
// "web <pid>" and holds it until the client closes, so holding connections open
// reaches every worker in turn.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mob/app.hpp>
#include <mob/detail/listen_fds.hpp>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "cluster.hpp"

namespace mob::test {
namespace {

// --- the worker's side: parsing LISTEN_FDS / LISTEN_PID / LISTEN_FDNAMES ---

TEST(listen_env, gives_each_descriptor_from_3_its_name_in_order) {
    auto fds = detail::parse_listen_fds("2", "1234", "http:admin", 1234);
    ASSERT_EQ(fds.size(), 2u);
    EXPECT_EQ(fds[0].name, "http");
    EXPECT_EQ(fds[0].fd, 3);
    EXPECT_EQ(fds[1].name, "admin");
    EXPECT_EQ(fds[1].fd, 4);
}

TEST(listen_env, ignores_variables_meant_for_another_pid) {
    EXPECT_TRUE(detail::parse_listen_fds("2", "999", "http:admin", 1234).empty());
}

TEST(listen_env, without_the_variables_there_are_no_listeners) {
    EXPECT_TRUE(detail::parse_listen_fds(nullptr, nullptr, nullptr, 1234).empty());
    EXPECT_TRUE(detail::parse_listen_fds("1", nullptr, "http", 1234).empty());
    EXPECT_TRUE(detail::parse_listen_fds(nullptr, "1234", "http", 1234).empty());
}

TEST(listen_env, descriptors_without_a_name_are_unknown) {
    auto none = detail::parse_listen_fds("2", "7", nullptr, 7);
    ASSERT_EQ(none.size(), 2u);
    EXPECT_EQ(none[0].name, "unknown");
    EXPECT_EQ(none[1].name, "unknown");
    auto one = detail::parse_listen_fds("2", "7", "http", 7);
    ASSERT_EQ(one.size(), 2u);
    EXPECT_EQ(one[0].name, "http");
    EXPECT_EQ(one[1].name, "unknown");
}

TEST(listen_env, a_count_that_is_not_a_number_is_an_error) {
    EXPECT_THROW(detail::parse_listen_fds("two", "7", "http", 7), mob::error);
    EXPECT_THROW(detail::parse_listen_fds("-1", "7", "http", 7), mob::error);
    EXPECT_THROW(detail::parse_listen_fds("1", "seven", "http", 7), mob::error);
}

TEST(listener_lookup, finds_a_name_and_names_the_others_when_it_is_unknown) {
    std::vector<detail::listen_fd> table{{"http", 3}, {"admin", 4}};
    EXPECT_EQ(detail::find_listen_fd(table, "admin"), 4);
    try {
        detail::find_listen_fd(table, "ftp");
        FAIL() << "no error for an unknown listener";
    } catch (const mob::error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("no listener 'ftp'"), std::string::npos) << what;
        EXPECT_NE(what.find("http, admin"), std::string::npos) << what;
    }
}

TEST(listener_lookup, a_worker_without_listeners_is_told_how_to_get_one) {
    try {
        detail::find_listen_fd({}, "http");
        FAIL() << "no error without listeners";
    } catch (const mob::error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("no listener 'http': this worker has none"), std::string::npos) << what;
        EXPECT_NE(what.find(".listen"), std::string::npos) << what;
    }
}

// --- the kingpin's side: checking the option ---

std::string validate_error(std::vector<std::string> listen) {
    mob::app app{"listenapp"};
    app.role("web", [](mob::worker&) {}, {.listen = std::move(listen)});
    try {
        app.validate();
    } catch (const mob::error& e) {
        return e.what();
    }
    return {};
}

TEST(listen_option, accepts_ipv4_bracketed_ipv6_and_port_0) {
    EXPECT_EQ(validate_error({"http=127.0.0.1:8080", "any=0.0.0.0:0", "six=[::1]:0", "all=[::]:1"}),
              "");
}

TEST(listen_option, refuses_a_malformed_entry_naming_the_role_and_the_entry) {
    for (std::string bad :
         {"http", "http=127.0.0.1", "http=localhost:80", "http=::1:80", "http=[::1]80", "http=[::1",
          "http=127.0.0.1:65536", "http=127.0.0.1:x", "http=127.0.0.1:", "bad name=127.0.0.1:80",
          "=127.0.0.1:80", "http=[127.0.0.1]:80"}) {
        auto what = validate_error({bad});
        EXPECT_NE(what.find("role 'web'"), std::string::npos) << bad << ": " << what;
        EXPECT_NE(what.find("'" + bad + "'"), std::string::npos) << bad << ": " << what;
    }
    EXPECT_NE(validate_error({"http=localhost:80"}).find("numeric"), std::string::npos);
    EXPECT_NE(validate_error({"http=::1:80"}).find("brackets"), std::string::npos);
    EXPECT_NE(validate_error({"http=1.2.3.4:99999"}).find("0 to 65535"), std::string::npos);
}

TEST(listen_option, refuses_a_name_given_twice) {
    EXPECT_EQ(validate_error({"http=127.0.0.1:0", "http=127.0.0.1:0"}),
              "role 'web': listener 'http' is declared twice");
}

// --- the whole thing, with real processes ---

/// The port the kingpin says it bound `name` of `role` to.
int bound_port(cluster& c, const std::string& name, const std::string& role,
               const std::string& host = "127\\.0\\.0\\.1") {
    std::regex line{fmt::format("listening: {} on {}:(\\d+) for role {}", name, host, role)};
    if (!c.kingpin().wait_for(line, 10s))
        return 0;
    auto ports = c.kingpin().matches(line);
    return ports.empty() ? 0 : std::stoi(ports.front());
}

/// A connection to the line server; closed when destroyed.
class line_client {
  public:
    explicit line_client(int port, bool ipv6 = false) {
        fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int rc = -1;
        if (ipv6) {
            sockaddr_in6 a{};
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(static_cast<std::uint16_t>(port));
            a.sin6_addr = in6addr_loopback;
            rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        } else {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<std::uint16_t>(port));
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        }
        connect_errno_ = rc == 0 ? 0 : errno;
    }
    ~line_client() { ::close(fd_); }
    line_client(const line_client&) = delete;
    line_client& operator=(const line_client&) = delete;

    int connect_errno() const { return connect_errno_; }
    /// The first line the server wrote ("web 1234"), empty if none within 5 s.
    std::string answer() {
        if (connect_errno_ != 0)
            return {};
        std::string text;
        char c = 0;
        while (text.size() < 128 && ::recv(fd_, &c, 1, 0) == 1 && c != '\n')
            text += c;
        return c == '\n' ? text : std::string{};
    }

  private:
    int fd_ = -1;
    int connect_errno_ = 0;
};

pid_t pid_in(const std::string& answer) {
    auto space = answer.rfind(' ');
    return space == std::string::npos ? 0 : std::atoi(answer.c_str() + space + 1);
}

/// Opens connections and holds them (each holds one worker) until every pid in
/// `expected` has answered; returns the pids that answered, in order.
std::vector<pid_t> reach_every_worker(int port, const std::set<pid_t>& expected,
                                      bool ipv6 = false) {
    std::vector<std::unique_ptr<line_client>> held;
    std::vector<pid_t> answered;
    std::set<pid_t> missing = expected;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!missing.empty() && std::chrono::steady_clock::now() < deadline &&
           held.size() < 4 * expected.size()) {
        held.push_back(std::make_unique<line_client>(port, ipv6));
        pid_t pid = pid_in(held.back()->answer());
        if (pid == 0)
            break;
        answered.push_back(pid);
        missing.erase(pid);
    }
    return answered;
}

/// Whether `pid` has a descriptor open on the same open socket as `link`
/// ("socket:[inode]").
bool holds_socket(pid_t pid, const std::string& link) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator{fmt::format("/proc/{}/fd", pid), ec}) {
        if (std::filesystem::read_symlink(e.path(), ec).string() == link)
            return true;
    }
    return false;
}

bool bind_fails_with_eaddrinuse(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool in_use = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == EADDRINUSE;
    ::close(fd);
    return in_use;
}

std::map<std::string, std::string> web_env(int workers, std::string listen = "line=127.0.0.1:0") {
    return {{"TEST_BACK", "1"},
            {"TEST_FRONT", "1"},
            {"TEST_WEB", std::to_string(workers)},
            {"TEST_LISTEN", std::move(listen)}};
}

TEST(shared_listener, every_worker_of_the_role_accepts_on_the_one_socket) {
    cluster c{web_env(3)};
    int port = bound_port(c, "line", "web");
    ASSERT_GT(port, 0) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto pids = c.ready_pids("web");
    ASSERT_EQ(pids.size(), 3u);

    auto answered = reach_every_worker(port, pids);
    EXPECT_EQ(std::set<pid_t>(answered.begin(), answered.end()), pids) << c.kingpin().output();
    // Each got it as fd 3, made CLOEXEC, with the LISTEN_* variables gone.
    for (auto pid : pids) {
        EXPECT_TRUE(c.kingpin().wait_for(
            std::regex{fmt::format("EVENT listener web {} line fd 3 cloexec 1 env unset", pid)},
            5s))
            << c.kingpin().output();
    }
}

TEST(shared_listener, keeps_accepting_while_a_killed_worker_is_replaced) {
    cluster c{web_env(2)};
    int port = bound_port(c, "line", "web");
    ASSERT_GT(port, 0) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto before = c.ready_pids("web");
    ASSERT_EQ(before.size(), 2u);
    pid_t victim = *before.begin();
    pid_t survivor = *before.rbegin();

    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    ASSERT_TRUE(wait_process_gone(victim, 5s));
    // One connection at a time, each answered, until the replacement answers too.
    std::set<pid_t> seen;
    int connections = 0;
    pid_t replacement = 0;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (replacement == 0 && std::chrono::steady_clock::now() < deadline) {
        line_client client{port};
        auto answer = client.answer();
        ++connections;
        ASSERT_FALSE(answer.empty()) << "connection " << connections << " got no answer (errno "
                                     << client.connect_errno() << ")\n"
                                     << c.kingpin().output();
        pid_t pid = pid_in(answer);
        EXPECT_NE(pid, victim);
        if (pid != survivor)
            replacement = pid;
    }
    ASSERT_NE(replacement, 0) << c.kingpin().output();
    EXPECT_TRUE(eventually(
        [&] {
            return c.ready_pids("web") == std::set<pid_t>{survivor, replacement};
        },
        5s))
        << c.kingpin().output();
    // And with both busy, both serve.
    auto answered = reach_every_worker(port, {survivor, replacement});
    EXPECT_EQ(std::set<pid_t>(answered.begin(), answered.end()),
              (std::set<pid_t>{survivor, replacement}));
}

TEST(shared_listener, a_connection_made_while_the_only_worker_is_dead_is_served_by_its_successor) {
    cluster c{web_env(1)};
    int port = bound_port(c, "line", "web");
    ASSERT_GT(port, 0) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto before = c.ready_pids("web");
    ASSERT_EQ(before.size(), 1u);
    pid_t victim = *before.begin();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    ASSERT_TRUE(wait_process_gone(victim, 5s));

    // The kingpin still holds the socket: the port is bound and the connection waits
    // in its backlog for the next worker.
    EXPECT_TRUE(bind_fails_with_eaddrinuse(port));
    line_client client{port};
    EXPECT_EQ(client.connect_errno(), 0);
    auto answer = client.answer();
    ASSERT_FALSE(answer.empty()) << c.kingpin().output();
    EXPECT_NE(pid_in(answer), victim);
}

TEST(shared_listener, the_port_stays_bound_while_the_kingpin_runs_and_is_freed_when_it_stops) {
    cluster c{web_env(1)};
    int port = bound_port(c, "line", "web");
    ASSERT_GT(port, 0) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    EXPECT_TRUE(bind_fails_with_eaddrinuse(port));

    c.kingpin().signal(SIGINT);
    auto status = c.kingpin().wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << c.kingpin().output();
    EXPECT_FALSE(bind_fails_with_eaddrinuse(port));
}

TEST(shared_listener, only_the_workers_of_its_role_inherit_it) {
    cluster c{web_env(1)};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto web = c.ready_pids("web");
    ASSERT_EQ(web.size(), 1u);
    std::error_code ec;
    auto link = std::filesystem::read_symlink(fmt::format("/proc/{}/fd/3", *web.begin()), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(link.string().rfind("socket:[", 0), 0u) << link;
    EXPECT_TRUE(holds_socket(c.kingpin().pid(), link.string()));
    for (const auto& role : {"back", "front"}) {
        for (auto pid : c.ready_pids(role))
            EXPECT_FALSE(holds_socket(pid, link.string())) << role << " worker " << pid;
    }
}

TEST(shared_listener, a_mob_exec_role_gets_its_listener_too) {
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_EXEC", MOB_EXEC_WORKER},
               {"TEST_EXEC_LISTEN", "line=127.0.0.1:0"}}};
    int port = bound_port(c, "line", "ext");
    ASSERT_GT(port, 0) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto pids = c.ready_pids("ext");
    ASSERT_EQ(pids.size(), 2u);
    auto answered = reach_every_worker(port, pids);
    EXPECT_EQ(std::set<pid_t>(answered.begin(), answered.end()), pids) << c.kingpin().output();
    for (auto pid : pids) {
        EXPECT_TRUE(c.kingpin().wait_for(
            std::regex{fmt::format("EVENT listener ext {} line fd 3 cloexec 1 env unset", pid)},
            5s))
            << c.kingpin().output();
    }
}

bool ipv6_loopback_works() {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

TEST(shared_listener, binds_several_listeners_per_role_one_on_ipv6_where_there_is_one) {
    // Without an IPv6 loopback (some containers) the second listener is IPv4 as well.
    const bool v6 = ipv6_loopback_works();
    cluster c{
        web_env(2, v6 ? "admin=127.0.0.1:0,line=[::1]:0" : "admin=127.0.0.1:0,line=127.0.0.1:0")};
    int port = v6 ? bound_port(c, "line", "web", "\\[::1\\]") : bound_port(c, "line", "web");
    ASSERT_GT(port, 0) << c.kingpin().output();
    ASSERT_GT(bound_port(c, "admin", "web"), 0) << c.kingpin().output();
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    auto pids = c.ready_pids("web");
    auto answered = reach_every_worker(port, pids, v6);
    EXPECT_EQ(std::set<pid_t>(answered.begin(), answered.end()), pids) << c.kingpin().output();
    // "line" is the second listener: fd 4.
    for (auto pid : pids) {
        EXPECT_TRUE(c.kingpin().wait_for(
            std::regex{fmt::format("EVENT listener web {} line fd 4 cloexec 1", pid)}, 5s))
            << c.kingpin().output();
    }
}

TEST(shared_listener, an_unknown_name_fails_the_worker_with_the_names_there_are) {
    auto env = web_env(1, "http=127.0.0.1:0,admin=127.0.0.1:0");
    env["TEST_LISTEN_SERVE"] = "nope";
    cluster c{env};
    EXPECT_TRUE(
        c.kingpin().wait_for(std::regex{"no listener 'nope': this worker has http, admin"}, 10s))
        << c.kingpin().output();
}

TEST(shared_listener, an_address_that_cannot_be_bound_is_a_set_up_error) {
    int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(busy, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(busy, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);

    cluster c{web_env(1, fmt::format("line=127.0.0.1:{}", port))};
    auto status = c.kingpin().wait_exit(10s);
    ::close(busy);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << c.kingpin().output();
    auto out = c.kingpin().output();
    EXPECT_NE(out.find(fmt::format("cannot listen on 127.0.0.1:{} (role 'web', listener 'line'): "
                                   "Address already in use",
                                   port)),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find("EVENT start"), std::string::npos) << out;
}

TEST(shared_listener, a_malformed_entry_stops_the_app_before_anything_starts) {
    cluster c{web_env(1, "line=nowhere:80")};
    auto status = c.kingpin().wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << c.kingpin().output();
    auto out = c.kingpin().output();
    EXPECT_NE(out.find("role 'web': listen entry 'line=nowhere:80'"), std::string::npos) << out;
    EXPECT_EQ(out.find("EVENT start"), std::string::npos) << out;
}

}  // namespace
}  // namespace mob::test
