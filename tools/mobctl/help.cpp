#include "help.hpp"

#include <fmt/format.h>

namespace mob::ctl {

namespace {

constexpr std::string_view common_options = R"(Options of every command:
  --runtime-dir DIR  where the apps' folders are (default: $MOB_RUNTIME_DIR, else
                     $XDG_RUNTIME_DIR/mob, else /tmp/mob-UID)
  --timeout MS       how long to wait for each answer of a kingpin (default 3000)
  -h, --help         this help
)";

constexpr std::string_view exit_codes = R"(Exit codes:
  0  done
  1  another failure (an answer mobctl cannot read, an I/O error)
  2  usage error
  3  unknown app: no folder of that name in the runtime directory
  4  the app's kingpin is not running (its folder is there, but kingpin.pid is not
     locked, or its control socket refuses connections)
  5  no answer from the kingpin within --timeout
  6  the kingpin answered with an error (e.g. an unknown role), printed as it said it
)";

}  // namespace

const std::vector<command_spec>& commands() {
    static const std::vector<command_spec> all{
        {"ls",
         "",
         0,
         0,
         {},
         run_ls,
         "list the apps in the runtime directory",
         "Lists every app that has a folder in the runtime directory, one line each: its\n"
         "name, kingpin pid, uptime and roles as READY/TARGET (\"back 4/4 front 2/2\").\n"
         "A folder whose kingpin is gone shows \"not running (stale)\".\n"},
        {"status",
         "APP",
         1,
         1,
         {"--json"},
         run_status,
         "roles and workers of an app",
         "Prints a table of the app's roles (ready/target, min-max, alive, restarts,\n"
         "queued calls, calls routed and failed, messages routed, how the last worker\n"
         "ended) and one of its workers (id, pid, host, state, uptime, credit, calls in\n"
         "flight, calls served, time since the last heartbeat).\n"
         "\n"
         "  --json  print the kingpin's JSON answer as it is, for scripts\n"},
        {"events",
         "APP",
         1,
         1,
         {"--follow", "--since"},
         run_events,
         "the kingpin's recent events",
         "Prints the kingpin's recent events, one line each: sequence number, time,\n"
         "source (monitor: ZeroMQ events of the broker socket; kingpin: workers started,\n"
         "ready, dead, scaling, reloads), kind, endpoint, detail.\n"
         "\n"
         "  --follow   keep printing new events (asking every 200 ms) until Ctrl-C or\n"
         "             SIGTERM (exit 0) or until the kingpin goes away (exit 4)\n"
         "  --since N  only the events after sequence number N\n"},
        {"keygen",
         "NAME",
         1,
         1,
         {"--dir"},
         run_keygen,
         "make a CURVE key pair for a worker or a broker",
         "Writes NAME.pub (the public key, mode 0644) and NAME.secret (both keys, mode\n"
         "0600) in Z85 text (docs/security.md), refusing to replace existing files. Give\n"
         "a worker's NAME.pub to the broker (into its --curve-allow directory) and keep\n"
         "NAME.secret on the worker (MOB_CURVE_SECRET_FILE); the broker's own NAME.pub\n"
         "goes to every worker (MOB_CURVE_SERVER_KEY_FILE). NAME is what the broker's\n"
         "logs and status call workers using it. Talks to no kingpin.\n"
         "\n"
         "  --dir DIR  where to write the files (default: the current directory)\n"},
        {"top",
         "APP",
         1,
         1,
         {"--interval", "--iterations"},
         run_top,
         "a live view of an app's traffic",
         "Refreshes a view of each role: ready/target workers, queued calls and messages,\n"
         "calls and messages per second (from two status queries an interval apart).\n"
         "It clears the screen only when the output is a terminal. Ctrl-C ends it.\n"
         "\n"
         "  --interval MS    time between refreshes (default 1000)\n"
         "  --iterations N   stop after N refreshes\n"},
        {"scale",
         "APP ROLE N",
         3,
         3,
         {},
         run_scale,
         "set the number of workers of a role",
         "Asks the kingpin to run N workers of ROLE, within the role's min-max, and\n"
         "prints its answer.\n"},
        {"reload",
         "APP",
         1,
         1,
         {},
         run_reload,
         "replace every worker of an app",
         "Asks the kingpin to replace every worker with a new one, and prints its answer.\n"},
        {"stop",
         "APP",
         1,
         1,
         {},
         run_stop,
         "stop an app",
         "Asks the kingpin to stop every worker and exit, and prints its answer.\n"},
        {"metrics",
         "APP",
         1,
         1,
         {},
         run_metrics,
         "an app's metrics for Prometheus",
         "Prints the app's status in the Prometheus text exposition format: per role\n"
         "(labels app, role) mob_role_target_workers, mob_role_ready_workers,\n"
         "mob_role_alive_workers, mob_role_restarts_total, mob_role_queued_calls,\n"
         "mob_role_calls_routed_total, mob_role_calls_failed_total,\n"
         "mob_role_messages_routed_total, mob_role_messages_failed_total; and\n"
         "mob_kingpin_uptime_seconds, mob_monitor_events_total{kind},\n"
         "mob_dropped_frames_total{reason}.\n"},
    };
    return all;
}

const command_spec* find_command(std::string_view name) {
    for (const auto& c : commands()) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

std::string general_help() {
    std::string out =
        "Usage: mobctl COMMAND [ARGUMENTS] [OPTIONS]\n"
        "\n"
        "Inspects and manages the mob apps running on this machine through their\n"
        "kingpins' control sockets (RUNTIME_DIR/APP/control.sock).\n"
        "\n"
        "Commands:\n";
    for (const auto& c : commands()) {
        auto call = fmt::format("{} {}", c.name, c.synopsis);
        out += fmt::format("  {:<20}{}\n", call, c.summary);
    }
    out += "\n";
    out += common_options;
    out += "\n";
    out += exit_codes;
    out += "\n'mobctl COMMAND --help' tells more about a command.\n";
    return out;
}

std::string command_help(const command_spec& command) {
    std::string out = fmt::format("Usage: mobctl {}{}{} [OPTIONS]\n\n", command.name,
                                  command.synopsis.empty() ? "" : " ", command.synopsis);
    std::string summary{command.summary};
    if (!summary.empty() && summary[0] >= 'a' && summary[0] <= 'z')
        summary[0] = static_cast<char>(summary[0] - 'a' + 'A');
    out += fmt::format("{}.\n\n", summary);
    out += command.details;
    out += "\n";
    out += common_options;
    out += "\n";
    out += exit_codes;
    return out;
}

}  // namespace mob::ctl
