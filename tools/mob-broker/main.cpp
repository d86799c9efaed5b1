// mob-broker: runs a kingpin with no application code. Every role is external: the
// kingpin starts no worker and waits for programs that link libmob-worker to join over
// its TCP endpoint (the docker case; docs/external-workers.md).
//
//     mob-broker --app shop --tcp tcp://0.0.0.0:5555 --role back=2 --role front=1
//     mob-broker --config /etc/mob/shop.conf
#include <mob/app.hpp>
#include <mob/identity.hpp>
#include <mob/version.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_usage = 2;  ///< bad command line or config file (as mobctl's)

constexpr const char* help_text = R"(mob-broker: a mob kingpin with no application code

usage: mob-broker --app NAME [--tcp ENDPOINT] --role NAME=COUNT [--role ...] [options]
       mob-broker --config FILE [options]

Every role is external: the kingpin starts no worker. Workers are programs that
link libmob-worker and call mob::serve, started anywhere with
    MOB_ENDPOINT=tcp://HOST:PORT MOB_ROLE=NAME ./worker
A role is full when COUNT of its workers are ready; calls to a role wait in the
broker until one of its workers joins.

options:
  --app NAME           the app's name ([A-Za-z0-9_.-], at most 64)
  --tcp ENDPOINT       bind this TCP endpoint for workers, e.g. tcp://0.0.0.0:5555
                       (port 0 picks a free one; the log line "listening on ..."
                       says which). No authentication: trusted networks only.
  --role NAME=COUNT    an external role and how many workers make it full (repeat)
  --heartbeat-ms N     broker-worker heartbeat interval (default 1000)
  --runtime-dir DIR    where the runtime directory goes (default $MOB_RUNTIME_DIR,
                       else $XDG_RUNTIME_DIR/mob, else /tmp/mob-UID); mobctl finds
                       the app there
  --config FILE        read options from FILE, one per line: "app shop",
                       "tcp tcp://0.0.0.0:5555", "role back=2"; blank lines and
                       lines starting with # are skipped. Options on the command
                       line after --config add to it or override it.
  --help               this text
  --version            print mob-broker's version and exit

Stop it with SIGTERM or SIGINT (or mobctl stop NAME): it tells every worker to
STOP and exits. A broker killed any other way can be started again on the same
endpoint: the workers reconnect and join it by themselves.

exit codes:
  0  stopped cleanly
  2  bad command line or config file (the message says why), or the kingpin
     could not start or failed (bind, runtime directory taken: its log says why)
)";

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct settings {
    std::string app;
    std::string tcp;
    std::string runtime_dir;
    std::uint32_t heartbeat_ms = 0;
    std::vector<std::pair<std::string, std::uint32_t>> roles;
    bool help = false;
    bool version = false;
};

std::uint32_t parse_number(const std::string& what, const std::string& value) {
    std::uint32_t n = 0;
    const auto* end = value.data() + value.size();
    auto [at, ec] = std::from_chars(value.data(), end, n);
    if (value.empty() || ec != std::errc{} || at != end || n == 0)
        throw usage_error(
            fmt::format("{} wants a whole number of at least 1, not '{}'", what, value));
    return n;
}

void read_config(settings& s, const std::string& path, int depth);

/// Applies one option (name without the dashes).
void apply(settings& s, const std::string& name, const std::string& value, int depth) {
    if (name == "app") {
        s.app = value;
    } else if (name == "tcp") {
        s.tcp = value;
    } else if (name == "runtime-dir") {
        if (value.empty())
            throw usage_error("--runtime-dir wants a directory");
        s.runtime_dir = value;
    } else if (name == "heartbeat-ms") {
        s.heartbeat_ms = parse_number("--heartbeat-ms", value);
    } else if (name == "role") {
        auto eq = value.find('=');
        if (eq == std::string::npos)
            throw usage_error(
                fmt::format("--role wants NAME=COUNT (e.g. back=2), not '{}'", value));
        auto role = value.substr(0, eq);
        if (!mob::valid_role_name(role)) {
            throw usage_error(
                fmt::format("role name '{}' is not valid: use [A-Za-z0-9_.-], at most 64", role));
        }
        auto count = parse_number(fmt::format("--role {}", role), value.substr(eq + 1));
        for (auto& [existing, n] : s.roles) {
            if (existing == role) {
                n = count;  // a later line overrides an earlier one
                return;
            }
        }
        s.roles.emplace_back(role, count);
    } else if (name == "config") {
        if (depth > 0)
            throw usage_error("a config file cannot name another config file");
        read_config(s, value, depth + 1);
    } else {
        throw usage_error(fmt::format("unknown option --{} (see mob-broker --help)", name));
    }
}

void read_config(settings& s, const std::string& path, int depth) {
    std::ifstream in{path};
    if (!in)
        throw usage_error(fmt::format("cannot read config file '{}'", path));
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        auto last = line.find_last_not_of(" \t\r");
        line = line.substr(first, last - first + 1);
        auto space = line.find_first_of(" \t");
        if (space == std::string::npos) {
            throw usage_error(
                fmt::format("{}:{}: '{}' wants a value (e.g. \"app shop\")", path, number, line));
        }
        auto name = line.substr(0, space);
        auto value = line.substr(line.find_first_not_of(" \t", space));
        try {
            apply(s, name, value, depth);
        } catch (const usage_error& e) {
            throw usage_error(fmt::format("{}:{}: {}", path, number, e.what()));
        }
    }
}

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            s.help = true;
            continue;
        }
        if (arg == "--version") {
            s.version = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0 || arg.size() == 2)
            throw usage_error(fmt::format("unexpected argument '{}' (see mob-broker --help)", arg));
        std::string name = arg.substr(2);
        std::string value;
        if (auto eq = name.find('='); eq != std::string::npos && name.rfind("role", 0) != 0) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        } else if (name.rfind("role=", 0) == 0) {
            value = name.substr(5);
            name = "role";
        } else {
            if (i + 1 >= argc)
                throw usage_error(fmt::format("--{} wants a value (see mob-broker --help)", name));
            value = argv[++i];
        }
        apply(s, name, value, 0);
    }
    if (s.help || s.version)
        return s;
    if (s.app.empty())
        throw usage_error("no app name: give --app NAME (see mob-broker --help)");
    if (!mob::valid_role_name(s.app)) {
        throw usage_error(
            fmt::format("app name '{}' is not valid: use [A-Za-z0-9_.-], at most 64", s.app));
    }
    if (s.roles.empty())
        throw usage_error("no roles: give at least one --role NAME=COUNT (see mob-broker --help)");
    if (!s.tcp.empty() && s.tcp.rfind("tcp://", 0) != 0) {
        throw usage_error(fmt::format(
            "--tcp wants a tcp:// endpoint (e.g. tcp://0.0.0.0:5555), not '{}'", s.tcp));
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    try {
        s = parse(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "mob-broker: %s\n", e.what());
        return exit_usage;
    }
    if (s.help) {
        std::fputs(help_text, stdout);
        return exit_ok;
    }
    if (s.version) {
        std::printf("mob-broker %s\n", MOB_VERSION);
        return exit_ok;
    }
    // This process is the kingpin, whatever its environment says.
    ::unsetenv("MOB_ROLE");
    if (!s.tcp.empty())
        ::unsetenv("MOB_TCP_ENDPOINT");  // the command line wins over the environment
    mob::app app{s.app};
    if (!s.tcp.empty())
        app.listen_tcp(s.tcp);
    if (!s.runtime_dir.empty())
        app.runtime_root(s.runtime_dir);
    if (s.heartbeat_ms > 0)
        app.heartbeat(std::chrono::milliseconds{s.heartbeat_ms});
    for (const auto& [role, count] : s.roles)
        app.external_role(role, {.workers = count});
    try {
        app.validate();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mob-broker: %s\n", e.what());
        return exit_usage;
    }
    return app.run(argc, argv);
}
