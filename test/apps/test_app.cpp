// The app the integration tests run: roles "back" and "front" (counts from TEST_BACK,
// TEST_FRONT), and "late" (TEST_LATE_MS: a worker that is ready only after that
// long). Every worker prints "EVENT ..." lines the tests wait for, and acknowledges
// each "probe" to its sender, so a test that joins as a worker sees who got what.
//
// "back" and "front" count as up as soon as they are ready (min_uptime 0, or
// TEST_MIN_UPTIME_MS): the tests kill them right after and expect them revived at once.
//
// TEST_TCP=ENDPOINT binds the broker on that TCP endpoint too; TEST_REMOTE=N adds the
// external role "remote" (N workers expected, none started).
//
// TEST_CRASHY=N adds role "crashy" (N workers; a range N..TEST_CRASHY_MAX if given)
// that exits with TEST_CRASH_CODE (default 1) at start, before it is ready: on every
// start, or only on its first TEST_CRASH_FIRST starts (counted in a file in
// TEST_CRASH_DIR), 0 for never. Its restart options come from TEST_RESTART
// (permanent, transient, temporary), TEST_NO_RESTART_CODES ("42,43"),
// TEST_CRASHY_MIN_UPTIME_MS, TEST_BACKOFF_INITIAL_MS, TEST_BACKOFF_MAX_MS and
// TEST_CRASH_LOOP_AFTER; unset, the defaults.
//
// TEST_LISTEN="line=127.0.0.1:0,..." adds role "web" (TEST_WEB workers, default 2)
// with those shared listeners; each web worker reports what it inherited and serves
// the line protocol of line_server.hpp on listener TEST_LISTEN_SERVE (default "line").
// TEST_EXEC_LISTEN gives the "ext" role (TEST_EXEC) listeners the same way.
// TEST_PY_EXEC=PYTHON with TEST_PY_SCRIPT=FILE adds role "py", that Python program
// (test/python/py_test_worker.py) started through mob::exec.
// TEST_MAX_MESSAGE_KIB (and TEST_MAX_CREDIT) set app::limits; "big"(kib) returns that much.
// TEST_SPREAD_WORKERS sets app::dispatch's spread_workers (unset: the machine's CPUs),
// and with it TEST_FAST_CALL_US its fast_call (default 250); TEST_SLOW_CALL_DEPTH its
// slow_call_depth (default 2; 0: credit only).
// Supervision: TEST_KILL_TIMEOUT_MS sets app::kill_timeout, TEST_ENV_FILE app::env_file;
// every worker exports "getenv" and "scale" (w.scale from inside a worker), and its
// shutdown hook prints "EVENT shutdown ROLE PID busy=N" (N: slow_echo calls still
// running then, so 0 once its calls in flight are done).
// Every worker also exports the typed methods of typed_methods.hpp, and "record"
// (TOKEN, V): appends TOKEN to the file exec-PID in TEST_RECORD_DIR, if set, then works
// TEST_RECORD_WORK_US microseconds and returns 3 * V + 1, so a test can count how many
// times each call ran (a kill during that work leaves a call that ran but never answered).
// TEST_CRASH_LOOP_AFTER; unset, the defaults. TEST_CRASH_HOW says how it crashes:
// "exit" (the default, with TEST_CRASH_CODE), "throw" (a testapp::disk_full escapes the
// role function), "thread" (a std::logic_error escapes a thread), or "hang" (it never
// becomes ready; TEST_READY_TIMEOUT_MS sets the role's ready_timeout).
//
// TEST_LAST_ERROR=1: every worker prints what w.last_error() says at start
// ("EVENT last_error <role> <pid> none" or the report's fields).
// TEST_OBSERVERS=1 (or "throw": they also throw) registers on_full and on_death
// observers on the kingpin that print "EVENT observer ..." lines.
// TEST_STALL_MS=N (without TEST_OBSERVERS): an on_death observer that holds the kingpin's
// loop N ms, as a stuck loop would (the systemd watchdog test).
//
// The fork server (app::fork_server): TEST_MAIN_LOG=FILE appends "main PID" to FILE
// each time main() runs (in the kingpin, the fork server, and each worker started by
// exec; not in a forked worker); TEST_THREAD_BEFORE_RUN=1 runs a thread from before
// app.run() on; TEST_FORK_SERVER=0 calls app.fork_server(false).
#include <mob/app.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "line_server.hpp"
#include "typed_methods.hpp"

namespace {

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::atoi(v) : fallback;
}

void say(const std::string& line) {
    auto text = line + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

}  // namespace

namespace testapp {
/// An application's own exception type, for the crash report's demangled name.
struct disk_full : std::runtime_error {
    using std::runtime_error::runtime_error;
};
}  // namespace testapp

namespace {

std::string or_dash(const std::string& s) {
    return s.empty() ? "-" : s;
}
template <typename T>
std::string or_dash(const std::optional<T>& v) {
    return v ? fmt::format("{}", *v) : "-";
}

void print_last_error(mob::worker& w) {
    auto r = w.last_error();
    if (!r) {
        say(fmt::format("EVENT last_error {} {} none", w.role(), w.pid()));
        return;
    }
    say(fmt::format(
        "EVENT last_error {} {} role={} pid={} exit={} signal={} name={} type={} where={} "
        "note={} what={} | {}",
        w.role(), w.pid(), r->role, r->pid, or_dash(r->exit_code), or_dash(r->signal),
        or_dash(r->signal_name), or_dash(r->exception_type), or_dash(r->exception_where),
        or_dash(r->note), or_dash(r->exception_what), *r));
}

struct ack {
    std::string role;
    std::int64_t pid = 0;
    int value = 0;
    template <class A>
    void serialize(A& a) {
        a(role, pid, value);
    }
};

std::atomic<int> extra_delay_ms{0};
std::atomic<int> holding{0};
std::atomic<int> most_held{0};
std::atomic<int> busy{0};

// These functions stand for work that takes time.
void work_for(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds{ms});  // allowed-sleep: simulated work
}

/// "hold": answers later, from another thread; returns the most calls it held at once.
void hold(mob::reply<int> r, int ms) {
    int now = ++holding;
    int seen = most_held.load();
    while (now > seen && !most_held.compare_exchange_weak(seen, now)) {
    }
    std::thread([r, ms] {
        work_for(ms);
        --holding;
        r.send(most_held.load());
    }).detach();
}

void export_functions(mob::worker& w) {
    w.export_fn("add", [](int a, int b) { return a + b; });
    w.export_fn("big",
                [](int kib) { return std::string(static_cast<std::size_t>(kib) << 10, 'b'); });
    w.export_fn("whoami", [&w] { return w.pid(); });
    w.export_fn("work", [&w](int ms) {
        work_for(ms + extra_delay_ms.load());
        return w.pid();
    });
    w.export_fn("slow_echo", [&w](int ms, int v) {
        ++busy;
        say(fmt::format("EVENT working {} {} {}", w.role(), w.pid(), v));
        work_for(ms);
        --busy;
        return v;
    });
    w.export_fn("getenv", [](std::string name) {
        const char* v = std::getenv(name.c_str());
        return std::string{v != nullptr ? v : "(unset)"};
    });
    // Scales `role` from inside this worker; returns the new target, or -1 and the error.
    w.export_fn("scale", [&w](std::string role, int delta) {
        auto r = role.empty() ? w.scale(delta).get() : w.scale(role, delta).get();
        if (!r)
            return fmt::format("error {} {}", mob::to_string(r.error().code), r.error().message);
        return fmt::format("{} {} {}", r.value().before, r.value().target, r.value().clamped);
    });
    w.on_shutdown(
        [&w] { say(fmt::format("EVENT shutdown {} {} busy={}", w.role(), w.pid(), busy.load())); });
    w.export_fn("boom", []() -> int { throw std::runtime_error("kaboom"); });
    w.export_fn("note", [&w](std::string text) {
        say(fmt::format("EVENT note {} {} {}", w.role(), w.pid(), text));
    });
    w.export_fn("count_words", [](std::string text, mob::callback<void(int)> done) {
        int words = 0;
        bool in_word = false;
        for (char c : text) {
            bool letter = c != ' ';
            if (letter && !in_word)
                ++words;
            in_word = letter;
        }
        done(words);
    });
    w.export_fn("drop_callback", [](mob::callback<void(int)>) {});
    w.export_fn("call_twice", [](mob::callback<void(int)> cb) {
        cb(1);
        try {
            cb(2);
        } catch (const mob::error& e) {
            return std::string{mob::to_string(e.code())} + ": " + e.what();
        }
        return std::string{"second call went through"};
    });
    // Keeps the callback and calls it `ms` later from another thread; says how it went.
    w.export_fn("call_later", [&w](mob::callback<void(int)> cb, int ms) {
        std::thread([&w, cb, ms] {
            work_for(ms);
            try {
                cb(42);
                say(fmt::format("EVENT called_later {} ok", w.pid()));
            } catch (const mob::error& e) {
                say(fmt::format("EVENT called_later {} {}", w.pid(), mob::to_string(e.code())));
            }
        }).detach();
    });
    w.export_fn("hold", hold);
    w.export_fn("record", [&w](std::int64_t token, int v) {
        if (const char* dir = std::getenv("TEST_RECORD_DIR")) {
            // One write() with O_APPEND: whole lines, even from a process killed at once.
            static const int fd = ::open(fmt::format("{}/exec-{}", dir, w.pid()).c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            const auto line = fmt::format("{}\n", token);
            if (fd < 0 ||
                ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                throw std::runtime_error("record: cannot write to TEST_RECORD_DIR");
        }
        static const int work_us = env_int("TEST_RECORD_WORK_US", 0);
        const std::chrono::microseconds work{work_us};
        if (work_us > 0)
            std::this_thread::sleep_for(work);  // allowed-sleep: simulated work
        return 3 * v + 1;
    });
    // Typed exports (typed_methods.hpp): each function takes what the declared types
    // convert to, a const reference for a declared std::string.
    w.export_fn(testapp::methods::repeat, [](const std::string& text, int times) {
        std::string out;
        for (int i = 0; i < times; ++i)
            out += text;
        return out;
    });
    w.export_fn(testapp::methods::double_later,
                [](mob::reply<int> r, int v) { std::thread([r, v] { r.send(2 * v); }).detach(); });
    w.export_fn(testapp::methods::typed_note, [&w](const std::string& text) {
        say(fmt::format("EVENT typed_note {} {} {}", w.role(), w.pid(), text));
    });
    w.on<int>("be_slow", [](const int& ms) { extra_delay_ms = ms; });
    w.on_error([&w](const mob::send_error& e) {
        say(fmt::format("EVENT error {} {} {}", w.pid(), mob::to_string(e.code), e.message));
    });
}

void common_main(mob::worker& w) {
    say(fmt::format("EVENT start {} {}", w.role(), w.pid()));
    if (env_int("TEST_LAST_ERROR", 0) == 1)
        print_last_error(w);
    export_functions(w);
    w.on<int>("probe", [&w](const int& value, const mob::message& m) {
        say(fmt::format("EVENT got {} {} probe {} from {}", w.role(), w.pid(), value, m.sender));
        w.id(m.sender).send("ack", fmt::format("{} {} {}", w.role(), w.pid(), value));
    });
    w.on<std::string>("crash", [](const std::string& how) {
        if (how == "abort")
            std::abort();
        std::exit(3);
    });
    w.on<int>("exit_with", [](const int& code) { std::_Exit(code); });
}

/// Whether this start of "crashy" crashes: always, or on the first TEST_CRASH_FIRST.
bool crash_this_start() {
    int first = env_int("TEST_CRASH_FIRST", -1);
    if (first < 0)
        return true;
    if (first == 0)
        return false;
    const char* dir = std::getenv("TEST_CRASH_DIR");
    if (dir == nullptr)
        throw std::runtime_error("TEST_CRASH_FIRST needs TEST_CRASH_DIR");
    auto file = std::filesystem::path{dir} / "crashy-starts";
    {
        std::ofstream out{file, std::ios::app};
        out << 'x';
    }
    return std::filesystem::file_size(file) <= static_cast<std::uintmax_t>(first);
}

void crashy_main(mob::worker& w) {
    if (crash_this_start()) {
        int code = env_int("TEST_CRASH_CODE", 1);
        const std::string how =
            std::getenv("TEST_CRASH_HOW") != nullptr ? std::getenv("TEST_CRASH_HOW") : "exit";
        say(fmt::format("EVENT crash_at_start {} {} {}", w.role(), w.pid(), code));
        if (how == "throw")
            throw testapp::disk_full("no space left on /var");
        if (how == "thread") {
            std::thread([] { throw std::logic_error("a thread gave up"); }).join();
        }
        if (how == "hang") {
            w.wait_until_stopping();  // never ready: the kingpin kills it
            return;
        }
        std::_Exit(code);
    }
    common_main(w);
}

mob::role_options crashy_options() {
    using ms = std::chrono::milliseconds;
    mob::role_options o;
    auto n = static_cast<std::uint32_t>(env_int("TEST_CRASHY", 1));
    if (auto max = env_int("TEST_CRASHY_MAX", 0); max > 0) {
        o.min = n;
        o.max = static_cast<std::uint32_t>(max);
    } else {
        o.workers = n;
    }
    const std::string policy =
        std::getenv("TEST_RESTART") != nullptr ? std::getenv("TEST_RESTART") : "";
    if (policy == "transient")
        o.restart = mob::restart_policy::transient;
    else if (policy == "temporary")
        o.restart = mob::restart_policy::temporary;
    if (const char* codes = std::getenv("TEST_NO_RESTART_CODES")) {
        std::istringstream in{codes};
        for (std::string code; std::getline(in, code, ',');)
            o.no_restart_codes.push_back(std::stoi(code));
    }
    o.min_uptime = ms{env_int("TEST_CRASHY_MIN_UPTIME_MS", static_cast<int>(o.min_uptime.count()))};
    o.backoff_initial =
        ms{env_int("TEST_BACKOFF_INITIAL_MS", static_cast<int>(o.backoff_initial.count()))};
    o.backoff_max = ms{env_int("TEST_BACKOFF_MAX_MS", static_cast<int>(o.backoff_max.count()))};
    o.crash_loop_after = static_cast<std::uint32_t>(
        env_int("TEST_CRASH_LOOP_AFTER", static_cast<int>(o.crash_loop_after)));
    o.ready_timeout =
        ms{env_int("TEST_READY_TIMEOUT_MS", static_cast<int>(o.ready_timeout.count()))};
    return o;
}

// TEST_POOL_INLINE=1: the pool serves these functions on its I/O thread
// (export_options::inline_call), in place of the dispatcher-thread ones above.
void export_inline(mob::worker& w) {
    const mob::export_options on_io{.inline_call = true};
    w.export_fn(
        "add", [](int a, int b) { return a + b; }, on_io);
    w.export_fn(
        "whoami", [&w] { return w.pid(); }, on_io);
    w.export_fn(
        "boom", []() -> int { throw std::runtime_error("kaboom"); }, on_io);
    w.export_fn(
        "work",
        [&w](int ms) {
            work_for(ms);
            return w.pid();
        },
        on_io);
    w.export_fn(
        "count_words",
        [](std::string text, mob::callback<void(int)> done) {
            std::istringstream in{text};
            int words = 0;
            for (std::string word; in >> word;)
                ++words;
            done(words);
        },
        on_io);
    w.export_fn("hold", hold, on_io);
    // Waits for a call's result where it runs: refused on the I/O thread.
    w.export_fn(
        "nested_get",
        [&w] {
            auto r = w.require("back").call<int>("add", 1, 2).get(std::chrono::seconds{5});
            return r.ok()
                       ? fmt::format("ok {}", *r)
                       : fmt::format("{}: {}", mob::to_string(r.error().code), r.error().message);
        },
        on_io);
    // On the dispatcher thread still: keeps it busy for `ms`.
    w.export_fn("busy_dispatcher", [](int ms) {
        work_for(ms);
        return ms;
    });
}

void pool_main(mob::worker& w) {
    common_main(w);
    if (env_int("TEST_POOL_INLINE", 0) > 0)
        export_inline(w);
}

// TEST_FRONT_LOAD=1: each front worker calls back's "record" (tokens PID << 32 | n) one
// call after another until it stops or gets a "front_load" message, and says "EVENT
// front_load wrong ..." of a result with a wrong value or an error other than
// worker_died or timeout: callers die in the chaos test too.
void front_main(mob::worker& w) {
    common_main(w);
    if (env_int("TEST_FRONT_LOAD", 0) == 0)
        return;
    static std::atomic<bool> load_on{true};
    w.on<int>("front_load", [](const int& on) { load_on = on != 0; });
    w.ready();
    auto back = w.require("back").with({.timeout = std::chrono::seconds{5}});
    for (std::int64_t n = 0; !w.stopping() && load_on; ++n) {
        const std::int64_t token = (static_cast<std::int64_t>(w.pid()) << 32) | n;
        const int v = static_cast<int>(n % 1000);
        auto r = back.call<int>("record", token, v).get();
        if (r.ok()
                ? *r != 3 * v + 1
                : r.error().code != mob::errc::worker_died && r.error().code != mob::errc::timeout)
            say(fmt::format("EVENT front_load wrong {} {}", w.pid(),
                            r.ok() ? std::to_string(*r) : r.error().message));
    }
}

void late_main(mob::worker& w) {
    common_main(w);
    // This role stands for a worker whose set-up takes a while.
    work_for(env_int("TEST_LATE_MS", 0));
}

std::vector<std::string> env_list(const char* name) {
    std::vector<std::string> out;
    if (const char* v = std::getenv(name)) {
        std::istringstream in{v};
        for (std::string item; std::getline(in, item, ',');)
            out.push_back(item);
    }
    return out;
}

void web_main(mob::worker& w) {
    common_main(w);
    const char* serve = std::getenv("TEST_LISTEN_SERVE");
    const std::string name = serve != nullptr ? serve : "line";
    int fd = w.listener(name);
    mob::test::report_listener(w, name, fd);
    mob::test::serve_lines(w, fd);
}

}  // namespace

int main(int argc, char** argv) {
    if (const char* log = std::getenv("TEST_MAIN_LOG"); log != nullptr) {
        const int fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        const auto line = fmt::format("main {}\n", ::getpid());
        if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            return 9;
        ::close(fd);
    }
    if (env_int("TEST_THREAD_BEFORE_RUN", 0) > 0) {
        // Every signal blocked: the kingpin takes its signals through a signalfd.
        std::thread{[] {
            sigset_t all;
            ::sigfillset(&all);
            ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
            for (;;)
                ::pause();
        }}.detach();
    }
    mob::app app{"testapp"};
    if (env_int("TEST_FORK_SERVER", 1) == 0)
        app.fork_server(false);
    const std::string config =
        std::getenv("TEST_CONFIG") != nullptr ? std::getenv("TEST_CONFIG") : "";
    auto back = static_cast<std::uint32_t>(env_int("TEST_BACK", 4));
    auto front = static_cast<std::uint32_t>(env_int("TEST_FRONT", 2));
    const std::chrono::milliseconds up{env_int("TEST_MIN_UPTIME_MS", 0)};
    app.role("back", common_main, {.workers = back, .min_uptime = up});
    app.role("front", front_main, {.workers = front, .min_uptime = up});
    if (env_int("TEST_LATE_MS", 0) > 0)
        app.role("late", late_main, {.workers = 1});
    if (const char* exe = std::getenv("TEST_EXEC"); exe != nullptr)
        app.role("ext", mob::exec(exe, {"from-the-kingpin"}),
                 {.workers = 2, .listen = env_list("TEST_EXEC_LISTEN")});
    if (const char* python = std::getenv("TEST_PY_EXEC"); python != nullptr) {
        const char* script = std::getenv("TEST_PY_SCRIPT");
        app.role("py", mob::exec(python, {script != nullptr ? script : ""}), {.workers = 1});
    }
    if (std::getenv("TEST_LISTEN") != nullptr) {
        app.role("web", web_main,
                 {.workers = static_cast<std::uint32_t>(env_int("TEST_WEB", 2)),
                  .min_uptime = up,
                  .listen = env_list("TEST_LISTEN")});
    }
    if (env_int("TEST_RANGE", 0) > 0)
        app.role("range", common_main, {.min = 1, .max = 3});
    if (env_int("TEST_POOL", 0) > 0) {
        app.role("pool", pool_main,
                 {.workers = static_cast<std::uint32_t>(env_int("TEST_POOL", 0)),
                  .credit = static_cast<std::uint32_t>(env_int("TEST_POOL_CREDIT", 1))});
    }
    if (env_int("TEST_CRASHY", 0) > 0)
        app.role("crashy", crashy_main, crashy_options());
    if (config == "duplicate")
        app.role("back", common_main);
    if (config == "bad_name")
        app.role("no spaces", common_main);
    if (config == "zero")
        app.role("none", common_main, {.workers = 0});
    if (config == "min_above_max")
        app.role("range", common_main, {.min = 3, .max = 2});
    if (auto ms = env_int("TEST_QUEUE_TIMEOUT_MS", 0); ms > 0) {
        app.queue_limits(static_cast<std::size_t>(env_int("TEST_QUEUE_MAX", 10000)),
                         std::chrono::milliseconds{ms});
    }
    if (auto kib = env_int("TEST_MAX_MESSAGE_KIB", 0); kib > 0) {
        app.limits({.max_message_size = static_cast<std::size_t>(kib) << 10,
                    .max_credit = static_cast<std::uint32_t>(env_int("TEST_MAX_CREDIT", 1024))});
    }
    if (const char* tcp = std::getenv("TEST_TCP"); tcp != nullptr)
        app.listen_tcp(tcp);
    if (env_int("TEST_REMOTE", 0) > 0)
        app.external_role("remote",
                          {.workers = static_cast<std::uint32_t>(env_int("TEST_REMOTE", 0))});
    if (auto ms = env_int("TEST_HEARTBEAT_MS", 0); ms > 0)
        app.heartbeat(std::chrono::milliseconds{ms});
    if (auto ms = env_int("TEST_KILL_TIMEOUT_MS", 0); ms > 0)
        app.kill_timeout(std::chrono::milliseconds{ms});
    if (const char* file = std::getenv("TEST_ENV_FILE"); file != nullptr)
        app.env_file(file);
    if (const char* obs = std::getenv("TEST_OBSERVERS"); obs != nullptr) {
        const bool throws = std::string_view{obs} == "throw";
        app.on_full([throws] {
            say("EVENT observer full");
            if (throws)
                throw std::runtime_error("the full observer fails");
        });
        app.on_death([throws](const mob::death_info& d) {
            say(fmt::format(
                "EVENT observer death role={} pid={} deaths={} exit={} signal={} name={} "
                "restart={} in={} why_not={} report={}",
                d.role, d.pid, d.deaths, or_dash(d.exit_code), or_dash(d.signal),
                or_dash(d.signal_name), d.restart ? "yes" : "no", d.restart_in.count(),
                or_dash(d.why_not), d.report));
            if (throws)
                throw testapp::disk_full("the death observer fails");
        });
    } else if (auto ms = env_int("TEST_STALL_MS", 0); ms > 0) {
        app.on_death([ms](const mob::death_info&) {
            say("EVENT observer stall");
            std::this_thread::sleep_for(  // allowed-sleep: stands for a stuck loop
                std::chrono::milliseconds{ms});
        });
    }
    if (const int spread = env_int("TEST_SPREAD_WORKERS", 0);
        spread > 0 || std::getenv("TEST_SLOW_CALL_DEPTH") != nullptr) {
        app.dispatch(
            {.spread_workers = static_cast<std::uint32_t>(spread),
             .fast_call = std::chrono::microseconds{env_int("TEST_FAST_CALL_US", 250)},
             .slow_call_depth = static_cast<std::uint32_t>(env_int("TEST_SLOW_CALL_DEPTH", 2))});
    }
    return app.run(argc, argv);
}
