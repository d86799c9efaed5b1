// Python workers (bindings/python, written from docs/protocol.md) in a real mob app:
// they join a mob-broker over TCP and serve C++ callers (results, remote exceptions,
// types refused), call C++ exports, exchange messages by every kind of target, keep
// heartbeating through a long call, come back to a restarted broker, fail their
// callers' calls with worker_died when killed, run as a mob::exec role that the
// kingpin spawns and revives, and report an exception that ends them to the kingpin's
// crash report.
#include <gtest/gtest.h>
#include <signal.h>
#include <mob/worker.hpp>

#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cluster.hpp"

namespace {
using namespace mob::test;
using namespace std::chrono_literals;

const std::regex listening{"listening on (tcp://[0-9.]+:[0-9]+)"};

/// A mob-broker on a fresh runtime directory with roles `py` and `other` (default
/// `cpp`), one worker each, its TCP endpoint on a free port and a short heartbeat (a
/// silent worker is dead after 3 x 200 ms), and the Python workers started against it.
class py_broker {
  public:
    explicit py_broker(const std::string& other = "cpp") : other_(other) {
        start("tcp://127.0.0.1:0");
    }

    /// Kills the broker and starts a new one on the same endpoint.
    void restart() {
        broker_->signal(SIGKILL);
        (void)broker_->wait_exit(5s);
        start(tcp_);
    }

    child_process& log() { return *broker_; }
    const std::string& tcp() const { return tcp_; }

    /// The Python test worker of role `py`, started by hand as on another machine:
    /// MOB_ENDPOINT (TCP) and MOB_ROLE only, and what `extra` adds. `script`: another
    /// Python program than the test worker.
    std::unique_ptr<child_process> python(std::map<std::string, std::string> extra = {},
                                          const std::string& script = MOB_PY_WORKER) {
        extra["MOB_ENDPOINT"] = tcp_;
        extra["MOB_ROLE"] = "py";
        extra["PYTHONPATH"] = MOB_PYTHON_PATH;
        extra["PYTHONDONTWRITEBYTECODE"] = "1";
        return std::make_unique<child_process>(std::vector<std::string>{MOB_PYTHON, script},
                                               std::move(extra));
    }
    const temp_dir& dir() const { return dir_; }

    /// Waits for the broker's "ready" line of worker `pid`.
    bool ready(pid_t pid, std::chrono::milliseconds timeout = 15s) {
        return broker_->wait_for(std::regex{fmt::format("ready: py worker pid {} ", pid)}, timeout)
            .has_value();
    }

  private:
    void start(const std::string& endpoint) {
        broker_ = std::make_unique<child_process>(std::vector<std::string>{
            MOB_BROKER, "--app", "pyapp", "--runtime-dir", dir_.path(), "--tcp", endpoint,
            "--insecure", "--role", "py=1", "--role", other_ + "=1", "--heartbeat-ms", "200"});
        tcp_.clear();
        if (broker_->wait_for(listening, 10s)) {
            auto found = broker_->matches(listening);
            tcp_ = found.empty() ? std::string{} : found.back();
        }
    }

    temp_dir dir_;
    std::string other_;
    std::unique_ptr<child_process> broker_;
    std::string tcp_;
};

/// Strings that arrive on other threads, waited for with a deadline.
class inbox {
  public:
    void add(std::string s) {
        std::lock_guard lock{mutex_};
        items_.push_back(std::move(s));
        cv_.notify_all();
    }
    std::vector<std::string> wait(std::size_t n, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock{mutex_};
        cv_.wait_for(lock, timeout, [&] { return items_.size() >= n; });
        return items_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> items_;
};

/// The C++ side: a worker of role `role` in this process, with exports for the Python
/// worker to call and handlers that collect what it sends.
class cpp_side {
  public:
    explicit cpp_side(const std::string& endpoint, const std::string& role = "cpp")
        : w_(mob::worker_options{.endpoint = endpoint, .app = "", .role = role}) {
        w_.export_fn("add", [](int a, int b) { return a + b; });
        w_.export_fn("boom", []() -> int { throw std::runtime_error("cpp kaboom"); });
        w_.export_fn("slow", [](int ms) {
            std::this_thread::sleep_for(std::chrono::milliseconds{ms});  // allowed-sleep: work
            return ms;
        });
        w_.export_fn("whoami", [this] { return w_.pid(); });
        w_.export_fn("id", [this] { return w_.id(); });
        w_.export_fn("square", [](int n) { return std::int64_t{n} * n; });
        w_.on<std::string>("note", [this](const std::string& s) { notes.add(s); });
        w_.on<std::string>("pong", [this](const std::string& s) { pongs.add(s); });
        w_.on<std::string>("greet", [this](const std::string& s) { greets.add(s); });
        w_.on_error([this](const mob::send_error& e) {
            errors.add(fmt::format("{} {}", mob::to_string(e.code), e.message));
        });
        w_.ready();
    }
    mob::worker& w() { return w_; }

    inbox notes;
    inbox pongs;
    inbox greets;
    inbox errors;

  private:
    mob::worker w_;  // last: its handlers use the inboxes
};

/// The first ```python block of the binding's README, the example it calls complete.
std::string readme_example() {
    std::ifstream in{std::string{MOB_PYTHON_PATH} + "/README.md"};
    std::stringstream text;
    text << in.rdbuf();
    const auto all = text.str();
    const std::string open = "```python\n";
    auto from = all.find(open);
    if (from == std::string::npos)
        return {};
    from += open.size();
    return all.substr(from, all.find("\n```", from) - from + 1);
}

/// The text after "EVENT call NAME " in the Python worker's output.
std::string call_line(child_process& py, const std::string& name) {
    auto line = py.wait_for(std::regex{"EVENT call " + name + " "}, 10s);
    if (!line)
        return "(no line for " + name + ")";
    return py.line(*line).substr(py.line(*line).find(name) + name.size() + 1);
}

}  // namespace

TEST(python_worker, joins_a_mob_broker_over_tcp_and_serves_cpp_calls) {
    py_broker b;
    ASSERT_FALSE(b.tcp().empty()) << b.log().output();
    auto py = b.python();
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side cpp{b.tcp()};
    ASSERT_TRUE(b.log().wait_for(full_line, 10s)) << b.log().output();
    auto proxy = cpp.w().require("py");

    EXPECT_EQ(proxy.call<int>("add", 40, 2).get(5s).value(), 42);
    EXPECT_EQ(proxy.call<std::int64_t>("whoami").get(5s).value(), py->pid());

    // Every common payload type, there and back.
    using all_types =
        std::tuple<std::int64_t, double, bool, std::string, std::vector<int>,
                   std::map<std::string, int>, std::pair<int, std::string>, std::optional<int>>;
    auto r = proxy
                 .call<all_types>("mirror", std::int64_t{-5000000000}, 1.25, true,
                                  std::string{"abc"}, std::vector<int>{1, 2, 3},
                                  std::map<std::string, int>{{"x", 1}, {"y", 2}},
                                  std::pair<int, std::string>{1, "one"}, std::optional<int>{})
                 .get(5s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, all_types(-4999999999, 2.5, false, "ABC", {3, 2, 1}, {{"x", 10}, {"y", 20}},
                            {2, "one!"}, 7));
}

TEST(python_worker, reports_remote_exceptions_and_refuses_wrong_types) {
    py_broker b;
    auto py = b.python();
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side cpp{b.tcp()};
    auto proxy = cpp.w().require("py");

    auto boom = proxy.call<int>("boom").get(5s);
    ASSERT_FALSE(boom);
    EXPECT_EQ(boom.error().code, mob::errc::remote_exception);
    EXPECT_EQ(boom.error().message, "py.boom: ValueError: kaboom");

    auto wrong_args = proxy.call<int>("add", std::string{"1"}, std::string{"2"}).get(5s);
    ASSERT_FALSE(wrong_args);
    EXPECT_EQ(wrong_args.error().code, mob::errc::bad_type);
    EXPECT_EQ(wrong_args.error().message,
              "py.add takes std::tuple<int, int>, not std::tuple<std::string, std::string>");

    // Same types, other widths: a long is not an int.
    auto wrong_width = proxy.call<int>("add", std::int64_t{1}, 2).get(5s);
    ASSERT_FALSE(wrong_width);
    EXPECT_EQ(wrong_width.error().code, mob::errc::bad_type);

    // The caller checks the result's type; the function checks its own result.
    auto wrong_result = proxy.call<std::string>("add", 1, 2).get(5s);
    ASSERT_FALSE(wrong_result);
    EXPECT_EQ(wrong_result.error().code, mob::errc::bad_type);
    auto bad_result = proxy.call<int>("bad_result").get(5s);
    ASSERT_FALSE(bad_result);
    EXPECT_EQ(bad_result.error().code, mob::errc::bad_type);
    EXPECT_NE(bad_result.error().message.find("py.bad_result returned what is no int"),
              std::string::npos)
        << bad_result.error().message;

    auto missing = proxy.call<int>("no_such_method").get(5s);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, mob::errc::unknown_method);
    // And it still serves.
    EXPECT_EQ(proxy.call<int>("add", 1, 2).get(5s).value(), 3);
}

TEST(python_worker, calls_cpp_exports_and_sends_by_every_kind_of_target) {
    py_broker b;
    cpp_side cpp{b.tcp()};
    auto py = b.python({{"PY_CALL_ROLE", "cpp"}});
    ASSERT_TRUE(py->wait_for(std::regex{"EVENT calls done"}, 20s))
        << py->output() << b.log().output();
    EXPECT_EQ(call_line(*py, "add"), "ok 5");
    EXPECT_EQ(call_line(*py, "boom"), "remote_exception cpp.boom: std::runtime_error: cpp kaboom");
    EXPECT_EQ(call_line(*py, "wrong_types"),
              "bad_type cpp.add takes std::tuple<int, int>, not std::tuple<std::string>");
    EXPECT_EQ(call_line(*py, "wrong_result"), "bad_type cpp.add returns int, not std::string");
    EXPECT_EQ(call_line(*py, "deadline"), "timeout cpp.slow: no result before the call's timeout");
    EXPECT_EQ(call_line(*py, "missing").rfind("unknown_method ", 0), 0u)
        << call_line(*py, "missing");

    auto notes = cpp.notes.wait(5);
    std::sort(notes.begin(), notes.end());
    EXPECT_EQ(notes, (std::vector<std::string>{"to all", "to any", "to id", "to pid", "to role"}));
    // What C++ could not take, and a role that does not exist, come back as ERRORs.
    auto wrong = py->matches(std::regex{"EVENT sent wrong_type seq (\\d+)"});
    auto lost = py->matches(std::regex{"EVENT sent unknown_role seq (\\d+)"});
    ASSERT_EQ(wrong.size(), 1u);
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_TRUE(
        py->wait_for(std::regex{"EVENT error " + wrong[0] + " bad_type topic 'note' on cpp/"}, 5s))
        << py->output();
    EXPECT_TRUE(py->wait_for(std::regex{"EVENT error " + lost[0] + " unknown_role "}, 5s))
        << py->output();
}

TEST(python_worker, answers_cpp_messages_and_rejects_what_it_cannot_take) {
    py_broker b;
    auto py = b.python();
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side cpp{b.tcp()};
    ASSERT_TRUE(b.log().wait_for(full_line, 10s)) << b.log().output();

    cpp.w().any("py").send("ping", std::string{"hi"});
    cpp.w().pid(py->pid()).send("ping", std::string{"you"});
    auto pongs = cpp.pongs.wait(2);
    std::sort(pongs.begin(), pongs.end());
    EXPECT_EQ(pongs, (std::vector<std::string>{"pong hi from cpp", "pong you from cpp"}));

    cpp.w().any("py").send("ping", 42);
    cpp.w().any("py").send("explode", 7);
    auto errors = cpp.errors.wait(2);
    ASSERT_EQ(errors.size(), 2u);
    std::sort(errors.begin(), errors.end());
    EXPECT_EQ(errors[0].rfind("bad_type topic 'ping' on py/", 0), 0u) << errors[0];
    EXPECT_NE(errors[0].find("takes std::string, not int"), std::string::npos) << errors[0];
    EXPECT_EQ(errors[1].rfind("handler_failed handler for 'explode' on py/", 0), 0u) << errors[1];
    EXPECT_NE(errors[1].find("RuntimeError: cannot take 7"), std::string::npos) << errors[1];
}

TEST(python_worker, keeps_heartbeating_through_a_long_call) {
    // 1.5 s of work is more than twice the 600 ms of silence that make a worker dead.
    py_broker b;
    auto py = b.python();
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side cpp{b.tcp()};
    auto r = cpp.w().require("py").call<int>("work", 1500).get(10s);
    ASSERT_TRUE(r) << mob::to_string(r.error().code) << " " << r.error().message
                   << b.log().output();
    EXPECT_EQ(*r, 1500);
}

TEST(python_worker, killed_with_calls_in_flight_fails_them_with_worker_died) {
    // Credit 2: two calls run in it at once, on two threads of its pool.
    py_broker b;
    auto py = b.python({{"MOB_CREDIT", "2"}});
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side cpp{b.tcp()};
    auto first = cpp.w().require("py").call<int>("work", 20000);
    auto second = cpp.w().require("py").call<int>("work", 20001);
    ASSERT_TRUE(py->wait_for(std::regex{"EVENT sleeping 20000"}, 10s)) << py->output();
    ASSERT_TRUE(py->wait_for(std::regex{"EVENT sleeping 20001"}, 10s)) << py->output();
    auto killed = std::chrono::steady_clock::now();
    py->signal(SIGKILL);
    for (auto* call : {&first, &second}) {
        auto r = call->get(10s);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, mob::errc::worker_died) << r.error().message;
        EXPECT_NE(r.error().message.find("died with the call in flight"), std::string::npos)
            << r.error().message;
    }
    // The broker finds it gone (unreachable, or silent for liveness x heartbeat): the
    // calls end long before their 30 s timeout.
    EXPECT_LT(std::chrono::steady_clock::now() - killed, 5s);
}

TEST(python_worker, comes_back_by_itself_to_a_restarted_broker) {
    py_broker b;
    auto py = b.python({{"MOB_RECONNECT_MS", "100"}, {"MOB_RECONNECT_MAX_MS", "200"}});
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    b.restart();
    ASSERT_FALSE(b.tcp().empty()) << b.log().output();
    // Its next heartbeat gets HELLO_AGAIN from the new broker: HELLO, then READY.
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side cpp{b.tcp()};
    EXPECT_EQ(cpp.w().require("py").call<std::int64_t>("whoami").get(5s).value(), py->pid());
}

TEST(python_worker, runs_as_an_exec_role_that_the_kingpin_spawns_and_revives) {
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_PY_EXEC", MOB_PYTHON},
               {"TEST_PY_SCRIPT", MOB_PY_WORKER},
               {"PYTHONPATH", MOB_PYTHON_PATH},
               {"PYTHONDONTWRITEBYTECODE", "1"}}};
    ASSERT_TRUE(c.wait_full()) << c.kingpin().output();
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT start py \\d+ spawned=True"}, 5s))
        << c.kingpin().output();
    probe p{c};
    auto py = p.w().require("py");
    auto first_pid = py.call<std::int64_t>("whoami").get(5s).value();
    EXPECT_EQ(py.call<int>("add", 2, 3).get(5s).value(), 5);

    // Killed with a call in flight: the kingpin sees the exit at once, the caller gets
    // worker_died, and a new Python worker takes the role's calls.
    auto pending = py.call<int>("work", 20000);
    ASSERT_TRUE(c.kingpin().wait_for(std::regex{"EVENT sleeping 20000"}, 10s));
    ::kill(static_cast<pid_t>(first_pid), SIGKILL);
    auto r = pending.get(5s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, mob::errc::worker_died) << r.error().message;
    std::optional<std::int64_t> second;
    EXPECT_TRUE(eventually(
        [&] {
            auto who = py.call<std::int64_t>("whoami").get(5s);
            second = who ? std::optional{*who} : std::nullopt;
            return second && *second != first_pid;
        },
        15s))
        << c.kingpin().output();
}

TEST(python_worker, the_readme_example_serves_and_calls_cpp) {
    py_broker b{"back"};
    const auto script = b.dir().path() + "/readme_worker.py";
    {
        auto example = readme_example();
        ASSERT_NE(example.find("mob.serve(main)"), std::string::npos) << example;
        std::ofstream out{script};
        out << example;
    }
    auto py = b.python({}, script);
    ASSERT_TRUE(b.ready(py->pid())) << b.log().output() << py->output();
    cpp_side back{b.tcp(), "back"};
    auto proxy = back.w().require("py");
    EXPECT_EQ(proxy.call<int>("add", 1, 2).get(5s).value(), 3);
    auto lengths = proxy.call<std::map<std::string, int>>("word_lengths",
                                                          std::vector<std::string>{"a", "bcd"});
    EXPECT_EQ(lengths.get(5s).value(), (std::map<std::string, int>{{"a", 1}, {"bcd", 3}}));
    EXPECT_EQ(proxy.call<std::int64_t>("ask_back", 7).get(10s).value(), 49);
    back.w().any("py").send("greet", std::string{"hi"});
    EXPECT_EQ(back.greets.wait(1), (std::vector<std::string>{"hello back, you said hi"}));
}

TEST(python_worker, an_exception_that_ends_it_reaches_the_kingpin_s_crash_report) {
    // mob.serve writes the record of the crash pipe (MOB_CRASH_FD) as the C++ runtime does.
    cluster c{{{"TEST_BACK", "1"},
               {"TEST_FRONT", "1"},
               {"TEST_PY_EXEC", MOB_PYTHON},
               {"TEST_PY_SCRIPT", MOB_PY_WORKER},
               {"PY_RAISE_AT_START", "1"},
               {"PYTHONPATH", MOB_PYTHON_PATH},
               {"PYTHONDONTWRITEBYTECODE", "1"}}};
    EXPECT_TRUE(c.kingpin().wait_for(
        std::regex{"crash report: py worker pid \\d+: exit code 1 after an uncaught LookupError "
                   "in the role function: no such config"},
        15s))
        << c.kingpin().output();
}
