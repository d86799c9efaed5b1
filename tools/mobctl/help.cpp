#include "help.hpp"

#include <fmt/format.h>

namespace mob::ctl {

namespace {

constexpr std::string_view common_options = R"(Options of every command:
  --runtime-dir DIR  where the apps' folders are (default: $MOB_RUNTIME_DIR, else
                     $XDG_RUNTIME_DIR/mob, else /tmp/mob-UID)
  --timeout MS       how long to wait for each answer of a kingpin (default 3000)
  -h, --help         this help
  --version          print mobctl's version and exit
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
  7  health: the kingpin answers, but a role has fewer ready workers than its target
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
         {"--json", "--wide"},
         run_status,
         "roles and workers of an app",
         "Prints a table of the app's roles (ready/target, min-max, alive, restarts,\n"
         "queued calls, calls routed and failed, messages routed and failed, workers\n"
         "replaced over max_memory, how the last worker ended) and one of its workers\n"
         "(short id role/pid, pid, host, state, uptime, CPU%, RSS, credit, calls in\n"
         "flight, calls served, time since the last heartbeat).\n"
         "\n"
         "  --json  print the kingpin's JSON answer as it is, for scripts\n"
         "  --wide  the workers' full ids (role/pid@host#nonce)\n"},
        {"describe",
         "APP [ROLE]",
         1,
         2,
         {"--json"},
         run_describe,
         "how an app's roles are set up, and their last deaths",
         "Prints, for each role (or ROLE only), what runs it (program, arguments), its\n"
         "bounds and target, credit, restart policy, back-off, readiness timeout,\n"
         "listeners, CURVE keys, max_memory and how many workers passed it, and its\n"
         "last deaths with their crash reports; and the app's env file, heartbeat and\n"
         "liveness. A kingpin older than mobctl does not know it (exit 6).\n"
         "\n"
         "  --json  print the kingpin's JSON answer as it is\n"},
        {"events",
         "APP",
         1,
         1,
         {"--follow", "--since", "--kind"},
         run_events,
         "the kingpin's recent events",
         "Prints the kingpin's recent events, one line each: sequence number, time,\n"
         "source (monitor: ZeroMQ events of the broker socket; kingpin: workers started,\n"
         "ready, dead, scaling, reloads), kind, endpoint, detail.\n"
         "\n"
         "  --follow   keep printing new events (asking every 200 ms) until Ctrl-C or\n"
         "             SIGTERM (exit 0) or until the kingpin goes away (exit 4)\n"
         "  --since N  only the events after sequence number N\n"
         "  --kind K   only the kingpin's events (app) or the ZeroMQ monitor's (zmq)\n"},
        {"logs",
         "APP [ROLE]",
         1,
         2,
         {"--follow", "--lines", "--json"},
         run_logs,
         "an app's newest log lines",
         "Prints the newest lines of the app's log, as its kingpin captured them: every\n"
         "worker's stdout and stderr and the kingpin's own lines, each with its time,\n"
         "app, role#slot, pid and stream (or level). ROLE keeps only that role's lines\n"
         "(\"kingpin\": the kingpin's own). They come from the lines the kingpin keeps in\n"
         "memory (the newest 10000 by default), and older ones from the ends of the app's\n"
         "log files, if it writes any. Pretty on a terminal (colour unless NO_COLOR is\n"
         "set), plain otherwise.\n"
         "\n"
         "  --lines N  the last N lines (default 20)\n"
         "  --follow   then keep printing new lines (asking every 200 ms) until Ctrl-C or\n"
         "             SIGTERM (exit 0) or until the kingpin goes away (exit 4)\n"
         "  --json     one JSON object per line: time, app, role, slot, pid, stream,\n"
         "             level, message\n"},
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
         "calls and messages per second (from two status queries an interval apart);\n"
         "then of each worker: state, CPU%, RSS, calls per second, messages it sent\n"
         "the broker per second (IN/S: a peer flooding the broker stands out), in\n"
         "flight, served.\n"
         "It clears the screen only when the output is a terminal. Ctrl-C ends it, and\n"
         "q too when the input is a terminal.\n"
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
         {"--same-binary"},
         run_reload,
         "replace every worker of an app, deploying its program",
         "Asks the kingpin to replace every worker with a new one, one at a time: each\n"
         "old one is stopped (after the calls it holds) once its replacement is ready. The\n"
         "replacements run the program file as it is now on disk (a deploy: replace the\n"
         "file, e.g. with mv, then reload). A replacement that fails to start or to be\n"
         "ready stops the reload, and the old workers stay. Prints the kingpin's answer.\n"
         "\n"
         "  --same-binary  run the program image the workers run now, not the file on\n"
         "                 disk (only the environment and env file are read again)\n"},
        {"restart",
         "APP [ROLE]",
         1,
         2,
         {"--same-binary"},
         run_restart,
         "replace the workers of a role at once",
         "Asks the kingpin to start a new worker for each worker of ROLE (of every role\n"
         "if none is given) and to stop the old ones at once, without waiting for the\n"
         "new ones to be ready: for a role that is stuck. The old ones get the app's\n"
         "kill timeout to finish their calls. The new ones run the program file on disk.\n"
         "\n"
         "  --same-binary  run the program image the workers run now\n"},
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
         "mob_role_messages_routed_total, mob_role_messages_failed_total,\n"
         "mob_role_memory_restarts_total, mob_role_fast_methods; per local worker (labels\n"
         "app, role, slot, pid)\n"
         "mob_worker_cpu_percent, mob_worker_rss_bytes; and mob_kingpin_uptime_seconds,\n"
         "mob_monitor_events_total{kind}, mob_dropped_frames_total{reason}.\n"},
        {"health",
         "[APP]",
         0,
         1,
         {"--live"},
         run_health,
         "exit 0 if an app is up and its roles are full",
         "Asks the kingpin of APP (of every app in the runtime directory if APP is not\n"
         "given) for its status and exits 0 if it answers and every role has as many\n"
         "ready workers as its target, printing one line per app (\"shop: healthy:\n"
         "back 3/3 front 1/1\"). Otherwise it exits non-zero with the reason on stderr:\n"
         "7 if a role is short of workers (\"shop: not healthy: back 1/3 ready\"), 3 if\n"
         "there is no such app (or none at all), 4 if its kingpin is not running, 5 if\n"
         "it does not answer in time. For a container's HEALTHCHECK or a probe.\n"
         "\n"
         "  --live  only that the kingpin answers, whatever its workers (a liveness\n"
         "          probe: a kingpin waiting for its workers is alive, not broken)\n"},
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
