// mobctl logs: an app's newest log lines, from the ring its kingpin keeps in memory (and
// older ones its kingpin reads back from the log files); --follow keeps printing new ones. Written
// as the kingpin writes them: pretty on a terminal (colour unless $NO_COLOR), plain otherwise, or
// JSON lines with --json.
#include <unistd.h>

#include <mob/log_line.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>

#include "apps.hpp"
#include "client.hpp"
#include "mobctl.hpp"
#include "signals.hpp"

namespace mob::ctl {

namespace {
constexpr std::chrono::milliseconds follow_period{200};
/// Lines asked for per request while following, so one answer stays small.
constexpr std::uint64_t follow_batch = 1000;
}  // namespace

int run_logs(const arguments& args, const options& opt) {
    const auto& app = args[0];
    const std::string role = args.size() > 1 ? args[1] : "";
    if (opt.follow)
        catch_stop_signals();
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    const auto format = opt.json   ? log_format::json
                        : terminal ? log_format::pretty
                                   : log_format::plain;
    const char* no_colour = std::getenv("NO_COLOR");
    const bool colour = terminal && (no_colour == nullptr || *no_colour == '\0');
    auto c = open_client(opt, app);
    control::logs_request req{role, 0, opt.lines};
    bool first = true;
    for (;;) {
        auto reply = c.ask_as<control::logs_reply>("logs", control::to_json(req));
        for (const auto& line : reply.lines) {
            fmt::print("{}\n", format_log_line(line, format, colour));
            req.since = line.seq;
        }
        if (first) {
            if (reply.lines.size() < opt.lines && !reply.files.empty() && !opt.json) {
                // The ring holds the newest lines only: older ones are in the files.
                fmt::print(stderr, "mobctl: older lines are in {}\n", fmt::join(reply.files, ", "));
            }
            req.since = std::max(req.since, reply.last);
            req.lines = follow_batch;
            first = false;
        }
        std::fflush(stdout);
        if (!opt.follow || !pause_for(follow_period))
            return exit_code::ok;
        if (!kingpin_alive(opt.runtime_dir / app))
            throw failure{exit_code::dead_kingpin, not_running(app)};
    }
}

}  // namespace mob::ctl
