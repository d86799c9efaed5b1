// mobctl health: one status query per app, turned into an exit code, for a container's
// HEALTHCHECK or a Kubernetes probe (docker/Dockerfile, deploy/kubernetes/).
#include <fmt/format.h>

#include <cstdio>

#include "apps.hpp"
#include "client.hpp"
#include "format.hpp"
#include "mobctl.hpp"

namespace mob::ctl {

namespace {

/// "back 1/3 ready, front 0/1 ready": the roles short of ready workers; "" if none is.
std::string short_roles(const control::app_status& s) {
    std::string out;
    for (const auto& r : s.roles) {
        if (r.ready >= r.target)
            continue;
        if (!out.empty())
            out += ", ";
        out += fmt::format("{} {}/{} ready", r.name, r.ready, r.target);
    }
    return out;
}

/// Checks one app; prints its line on stdout when healthy, throws failure otherwise.
void check_app(const options& opt, const std::string& app) {
    auto c = open_client(opt, app);
    auto s = c.ask_as<control::app_status>("status");
    if (opt.live) {
        fmt::print("{}: alive: kingpin pid {}, up {}\n", app, s.kingpin_pid, duration(s.uptime_s));
        return;
    }
    if (auto missing = short_roles(s); !missing.empty())
        throw failure{exit_code::unhealthy, fmt::format("{}: not healthy: {}", app, missing)};
    fmt::print("{}: healthy: {}\n", app, roles_summary(s));
}

}  // namespace

int run_health(const arguments& args, const options& opt) {
    if (!args.empty()) {
        check_app(opt, args[0]);
        return exit_code::ok;
    }
    auto names = app_names(opt.runtime_dir);
    if (names.empty()) {
        throw failure{exit_code::unknown_app,
                      fmt::format("no running apps in {}", opt.runtime_dir.string())};
    }
    // Every app is checked and reported; the exit code is the first failure's.
    int code = exit_code::ok;
    for (const auto& name : names) {
        try {
            check_app(opt, name);
        } catch (const failure& f) {
            std::fflush(stdout);
            fmt::print(stderr, "mobctl: {}\n", f.what());
            if (code == exit_code::ok)
                code = f.code();
        }
    }
    return code;
}

}  // namespace mob::ctl
