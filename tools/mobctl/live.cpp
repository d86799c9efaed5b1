// The commands that keep running: events --follow and top. SIGINT and SIGTERM end
// them with exit 0 (q too, for top on a terminal); a kingpin that goes away ends them with exit 4.
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>

#include "apps.hpp"
#include "client.hpp"
#include "format.hpp"
#include "keys.hpp"
#include "mobctl.hpp"
#include "signals.hpp"

namespace mob::ctl {

namespace {

constexpr std::chrono::milliseconds follow_period{200};

/// Whether --kind lets `e` through: app is the kingpin's own events, zmq the monitor's.
bool wanted(const control::event& e, const std::string& kind) {
    if (kind == "app")
        return e.source == "kingpin";
    if (kind == "zmq")
        return e.source == "monitor";
    return true;
}

}  // namespace

int run_events(const arguments& args, const options& opt) {
    const auto& app = args[0];
    if (opt.follow)
        catch_stop_signals();
    auto c = open_client(opt, app);
    auto since = opt.since;
    for (;;) {
        auto reply = c.ask_as<control::events_reply>(
            "events", control::to_json(control::events_request{since}));
        for (const auto& e : reply.events) {
            if (e.seq <= since)
                continue;  // seen already
            if (wanted(e, opt.kind))
                fmt::print("{}\n", event_line(e));
            since = e.seq;
        }
        std::fflush(stdout);
        if (!opt.follow || !pause_for(follow_period))
            return exit_code::ok;
        if (!kingpin_alive(opt.runtime_dir / app))
            throw failure{exit_code::dead_kingpin, not_running(app)};
    }
}

int run_top(const arguments& args, const options& opt) {
    catch_stop_signals();
    auto c = open_client(opt, args[0]);
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    raw_keys keys;  // q quits; the terminal is restored however top ends
    using clock = std::chrono::steady_clock;
    auto before = c.ask_as<control::app_status>("status");
    auto asked_at = clock::now();
    for (std::uint64_t i = 0; !opt.iterations || i < *opt.iterations; ++i) {
        if (!keys.pause(opt.interval))
            return exit_code::ok;
        auto now = c.ask_as<control::app_status>("status");
        auto at = clock::now();
        // The kingpin's clock tells best how far apart its two counts are.
        double seconds = now.uptime_s - before.uptime_s;
        if (seconds <= 0)
            seconds = std::chrono::duration<double>(at - asked_at).count();
        auto view = top_view(before, now, seconds);
        if (terminal)
            std::fputs("\x1b[H\x1b[2J", stdout);
        else if (i > 0)
            std::fputs("\n", stdout);
        std::fputs(view.c_str(), stdout);
        std::fflush(stdout);
        before = std::move(now);
        asked_at = at;
    }
    return exit_code::ok;
}

}  // namespace mob::ctl
