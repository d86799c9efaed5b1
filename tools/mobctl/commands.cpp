// The one-shot commands: ls, status, scale, reload, restart, stop, metrics.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>

#include "apps.hpp"
#include "client.hpp"
#include "format.hpp"
#include "mobctl.hpp"

namespace mob::ctl {

namespace {

/// Sends a verb whose "ok" answer is an outcome; prints its message.
int tell(const options& opt, const std::string& app, std::string_view verb,
         const std::string& args = "{}") {
    auto c = open_client(opt, app);
    auto o = c.ask_as<control::outcome>(verb, args);
    fmt::print("{}\n", !o.message.empty() ? o.message : fmt::format("{}: {}", verb, o.code));
    return exit_code::ok;
}

std::vector<std::string> ls_row(const options& opt, const std::string& name) {
    auto dir = opt.runtime_dir / name;
    if (!kingpin_alive(dir))
        return {name, "not running (stale)"};
    try {
        client c{name, dir, opt.timeout};
        auto s = c.ask_as<control::app_status>("status");
        return {name, fmt::format("pid {}", s.kingpin_pid),
                fmt::format("up {}", duration(s.uptime_s)), roles_summary(s)};
    } catch (const failure& f) {
        auto pid = recorded_pid(dir);
        return {name, pid > 0 ? fmt::format("pid {}", pid) : "pid ?",
                f.code() == exit_code::timeout
                    ? fmt::format("no answer within {} ms", opt.timeout.count())
                    : f.what()};
    }
}

}  // namespace

int run_ls(const arguments&, const options& opt) {
    auto names = app_names(opt.runtime_dir);
    if (names.empty()) {
        fmt::print("no running apps in {}\n", opt.runtime_dir.string());
        return exit_code::ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& name : names)
        rows.push_back(ls_row(opt, name));
    std::fputs(table({{}, {}, {}, {}}, rows, false).c_str(), stdout);
    return exit_code::ok;
}

int run_status(const arguments& args, const options& opt) {
    auto c = open_client(opt, args[0]);
    auto body = c.ask("status");
    if (opt.json) {
        fmt::print("{}\n", body);
        return exit_code::ok;
    }
    std::fputs(status_view(c.parse<control::app_status>(body), opt.wide).c_str(), stdout);
    return exit_code::ok;
}

int run_scale(const arguments& args, const options& opt) {
    const auto& n = args[2];
    std::uint32_t count = 0;
    auto [at, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
    if (ec != std::errc{} || at != n.data() + n.size()) {
        throw failure{exit_code::usage,
                      fmt::format("scale wants a number of workers, not '{}'", n)};
    }
    return tell(opt, args[0], "scale", control::to_json(control::scale_request{args[1], count}));
}

int run_reload(const arguments& args, const options& opt) {
    return tell(opt, args[0], "reload", control::to_json(control::reload_request{opt.same_binary}));
}

int run_restart(const arguments& args, const options& opt) {
    return tell(opt, args[0], "restart",
                control::to_json(
                    control::restart_request{args.size() > 1 ? args[1] : "", opt.same_binary}));
}

int run_stop(const arguments& args, const options& opt) {
    return tell(opt, args[0], "stop");
}

int run_metrics(const arguments& args, const options& opt) {
    auto c = open_client(opt, args[0]);
    std::fputs(prometheus(c.ask_as<control::app_status>("status")).c_str(), stdout);
    return exit_code::ok;
}

}  // namespace mob::ctl
