// describe: how each role of an app is set up (restart policy, back-off, bounds, credit,
// listeners, program, max_memory, the app's env file and heartbeats) and its last deaths
// with their crash reports, from the kingpin's "describe" answer.
#include <fmt/format.h>

#include <cstdio>

#include "client.hpp"
#include "format.hpp"
#include "mobctl.hpp"

namespace mob::ctl {

namespace {

std::string seconds(double s) {
    return duration(s);
}

std::string joined(const std::vector<std::string>& items, std::string_view none) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out.empty() ? std::string{none} : out;
}

std::string role_block(const control::role_description& r) {
    std::vector<std::vector<std::string>> rows;
    auto row = [&](std::string key, std::string value) {
        rows.push_back({"  " + std::move(key), std::move(value)});
    };
    if (r.kind == "external") {
        row("program", "- (external: its workers join from outside)");
    } else {
        auto args = joined(r.args, "");
        row("program", r.program + (r.kind == "function" ? " (the app's own program)" : "") +
                           (args.empty() ? "" : " " + args));
    }
    row("workers", fmt::format("{}..{}, target {}", r.min, r.max, r.target));
    row("credit", r.credit == 0 ? std::string{"each worker's own"} : fmt::format("{}", r.credit));
    std::string codes;
    for (int c : r.no_restart_codes)
        codes += fmt::format("{}{}", codes.empty() ? "" : ",", c);
    row("restart", r.restart + (codes.empty() ? "" : "; not after exit codes " + codes));
    row("back-off", fmt::format("{} doubling to {}; up {} resets it; crash loop after {}",
                                seconds(r.backoff_initial_s), seconds(r.backoff_max_s),
                                seconds(r.min_uptime_s), r.crash_loop_after));
    row("ready timeout", seconds(r.ready_timeout_s));
    row("listeners", joined(r.listen, "-"));
    row("keys", joined(r.keys, r.kind == "external" ? "any admitted key" : "-"));
    row("max_memory", r.max_memory == 0 ? std::string{"-"}
                                        : fmt::format("{} ({} replaced)", bytes(r.max_memory),
                                                      r.memory_restarts));
    row("deaths", r.deaths.empty() ? std::string{"none"}
                                   : fmt::format("last {}, oldest first:", r.deaths.size()));
    auto out = fmt::format("role {}\n", r.name) + table({{}, {}}, rows, false);
    for (const auto& d : r.deaths) {
        auto line = fmt::format("    {}  {}#{} pid {}: {}", clock_time(d.time), r.name, d.slot,
                                d.pid, d.exit);
        if (!d.report.empty())
            line += "\n      " + d.report;
        out += line + "\n";
    }
    return out;
}

}  // namespace

std::string describe_view(const control::app_description& d) {
    auto out = fmt::format("app {}: kingpin pid {}\n", d.app, d.kingpin_pid);
    out += fmt::format("env file {}; heartbeat {}, liveness {}; kill timeout {}\n",
                       d.env_file.empty() ? "-" : d.env_file, seconds(d.heartbeat_s), d.liveness,
                       seconds(d.kill_timeout_s));
    for (const auto& r : d.roles) {
        out += '\n';  // not "\n" + block: GCC 12 at -O3 then warns (-Wrestrict, falsely)
        out += role_block(r);
    }
    return out;
}

int run_describe(const arguments& args, const options& opt) {
    auto c = open_client(opt, args[0]);
    control::describe_request req{args.size() > 1 ? args[1] : ""};
    auto a = c.request("describe", control::to_json(req));
    if (!a.ok) {
        control::outcome o;
        try {
            o = control::from_json<control::outcome>(a.body);
        } catch (const cereal::Exception&) {
            o.message = a.body;
        }
        // A kingpin older than this mobctl answers an unknown verb with bad_request.
        if (o.code == "bad_request" && o.message.starts_with("unknown verb"))
            throw failure{exit_code::refused,
                          fmt::format("the kingpin of '{}' does not know describe (it is older "
                                      "than this mobctl)",
                                      c.app())};
        throw failure{exit_code::refused, o.message.empty() ? o.code : o.message};
    }
    auto d = c.parse<control::app_description>(a.body);
    if (opt.json)
        fmt::print("{}\n", a.body);
    else
        std::fputs(describe_view(d).c_str(), stdout);
    return exit_code::ok;
}

}  // namespace mob::ctl
