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
#include <mob/app.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

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

// These functions stand for work that takes time.
void work_for(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds{ms});  // allowed-sleep: simulated work
}

void export_functions(mob::worker& w) {
    w.export_fn("add", [](int a, int b) { return a + b; });
    w.export_fn("whoami", [&w] { return w.pid(); });
    w.export_fn("work", [&w](int ms) {
        work_for(ms + extra_delay_ms.load());
        return w.pid();
    });
    w.export_fn("slow_echo", [&w](int ms, int v) {
        say(fmt::format("EVENT working {} {} {}", w.role(), w.pid(), v));
        work_for(ms);
        return v;
    });
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
    // Answers later, from another thread; returns the most calls it held at once.
    w.export_fn("hold", [](mob::reply<int> r, int ms) {
        int now = ++holding;
        int seen = most_held.load();
        while (now > seen && !most_held.compare_exchange_weak(seen, now)) {
        }
        std::thread([r, ms] {
            work_for(ms);
            --holding;
            r.send(most_held.load());
        }).detach();
    });
    w.on<int>("be_slow", [](const int& ms) { extra_delay_ms = ms; });
    w.on_error([&w](const mob::send_error& e) {
        say(fmt::format("EVENT error {} {} {}", w.pid(), mob::to_string(e.code), e.message));
    });
}

void common_main(mob::worker& w) {
    say(fmt::format("EVENT start {} {}", w.role(), w.pid()));
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
        say(fmt::format("EVENT crash_at_start {} {} {}", w.role(), w.pid(), code));
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
    return o;
}

void late_main(mob::worker& w) {
    common_main(w);
    // This role stands for a worker whose set-up takes a while.
    work_for(env_int("TEST_LATE_MS", 0));
}

}  // namespace

int main(int argc, char** argv) {
    mob::app app{"testapp"};
    const std::string config =
        std::getenv("TEST_CONFIG") != nullptr ? std::getenv("TEST_CONFIG") : "";
    auto back = static_cast<std::uint32_t>(env_int("TEST_BACK", 4));
    auto front = static_cast<std::uint32_t>(env_int("TEST_FRONT", 2));
    const std::chrono::milliseconds up{env_int("TEST_MIN_UPTIME_MS", 0)};
    app.role("back", common_main, {.workers = back, .min_uptime = up});
    app.role("front", common_main, {.workers = front, .min_uptime = up});
    if (env_int("TEST_LATE_MS", 0) > 0)
        app.role("late", late_main, {.workers = 1});
    if (const char* exe = std::getenv("TEST_EXEC"); exe != nullptr)
        app.role("ext", mob::exec(exe, {"from-the-kingpin"}), {.workers = 2});
    if (env_int("TEST_RANGE", 0) > 0)
        app.role("range", common_main, {.min = 1, .max = 3});
    if (env_int("TEST_POOL", 0) > 0) {
        app.role("pool", common_main,
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
    if (const char* tcp = std::getenv("TEST_TCP"); tcp != nullptr)
        app.listen_tcp(tcp);
    if (env_int("TEST_REMOTE", 0) > 0)
        app.external_role("remote",
                          {.workers = static_cast<std::uint32_t>(env_int("TEST_REMOTE", 0))});
    if (auto ms = env_int("TEST_HEARTBEAT_MS", 0); ms > 0)
        app.heartbeat(std::chrono::milliseconds{ms});
    return app.run(argc, argv);
}
