#include "settings.hpp"

#include <mob/detail/text_file.hpp>
#include <mob/endpoint.hpp>
#include <mob/error.hpp>
#include <mob/identity.hpp>

#include <fmt/format.h>

#include <charconv>
#include <filesystem>

namespace mob::broker_tool {
namespace {

using detail::printable;

std::uint32_t parse_number(const std::string& what, const std::string& value,
                           std::uint32_t least = 1) {
    std::uint32_t n = 0;
    const auto* end = value.data() + value.size();
    auto [at, ec] = std::from_chars(value.data(), end, n);
    if (value.empty() || ec != std::errc{} || at != end || n < least)
        throw usage_error(fmt::format("{} wants a whole number of at least {}, not '{}'", what,
                                      least, printable(value)));
    return n;
}

role_setting& role_named(settings& s, const std::string& name) {
    for (auto& r : s.roles) {
        if (r.name == name)
            return r;
    }
    return s.roles.emplace_back(role_setting{name, 0, {}});
}

std::string checked_role(const std::string& option, const std::string& value, std::size_t eq) {
    if (eq == std::string::npos) {
        throw usage_error(fmt::format("{} wants NAME={} (e.g. back={}), not '{}'", option,
                                      option == "--role" ? "COUNT" : "KEY,KEY",
                                      option == "--role" ? "2" : "alice,bob", printable(value)));
    }
    auto role = value.substr(0, eq);
    if (!valid_role_name(role)) {
        throw usage_error(fmt::format("role name '{}' is not valid: use [A-Za-z0-9_.-], at most 64",
                                      printable(role)));
    }
    return role;
}

void read_config(settings& s, const std::string& path, int depth);

/// A path from a config file is relative to the file's directory, not to wherever the
/// broker happens to be started (systemd starts it in /).
std::string relative_to(const std::string& base, const std::string& value) {
    if (base.empty() || value.empty() || value.front() == '/')
        return value;
    return (std::filesystem::path{base}.parent_path() / value).string();
}

/// Applies one option (name without the dashes); `file` is the config file it came
/// from, "" for the command line.
void apply(settings& s, const std::string& name, const std::string& value, int depth,
           const std::string& file) {
    if (name == "app") {
        s.app = value;
    } else if (name == "tcp") {
        s.tcp = value;
    } else if (name == "insecure") {
        if (value != "yes" && value != "true" && value != "1")
            throw usage_error("insecure takes no value (or yes)");
        s.insecure = true;
    } else if (name == "curve-secret") {
        s.curve_secret = relative_to(file, value);
    } else if (name == "curve-allow") {
        s.curve_allow = relative_to(file, value);
    } else if (name == "handshake-ms") {
        s.handshake_ms = parse_number("--handshake-ms", value);
    } else if (name == "runtime-dir") {
        if (value.empty())
            throw usage_error("--runtime-dir wants a directory");
        s.runtime_dir = value;
    } else if (name == "heartbeat-ms") {
        s.heartbeat_ms = parse_number("--heartbeat-ms", value);
    } else if (name == "max-message-bytes") {
        s.max_message_bytes = parse_number("--max-message-bytes", value);
    } else if (name == "max-credit") {
        s.max_credit = parse_number("--max-credit", value);
    } else if (name == "max-queued") {
        s.max_queued = parse_number("--max-queued", value);
    } else if (name == "queue-timeout-ms") {
        s.queue_timeout_ms = parse_number("--queue-timeout-ms", value);
    } else if (name == "max-owed") {
        s.max_owed = parse_number("--max-owed", value);
    } else if (name == "spread-workers") {
        s.spread_workers = parse_number("--spread-workers", value);
    } else if (name == "fast-call-us") {
        s.fast_call_us = parse_number("--fast-call-us", value);
    } else if (name == "slow-call-depth") {
        s.slow_call_depth = parse_number("--slow-call-depth", value, 0);  // 0: credit only
    } else if (name == "role") {
        auto eq = value.find('=');
        auto role = checked_role("--role", value, eq);
        // A later line overrides an earlier one.
        role_named(s, role).count =
            parse_number(fmt::format("--role {}", role), value.substr(eq + 1));
    } else if (name == "role-keys") {
        auto eq = value.find('=');
        auto role = checked_role("--role-keys", value, eq);
        std::vector<std::string> keys;
        std::string_view rest = std::string_view{value}.substr(eq + 1);
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string key{rest.substr(0, comma)};
            if (!valid_role_name(key)) {
                throw usage_error(
                    fmt::format("--role-keys {}: key name '{}' is not valid: use "
                                "[A-Za-z0-9_.-] (the NAME of NAME.pub)",
                                role, printable(key)));
            }
            keys.push_back(std::move(key));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
        if (keys.empty())
            throw usage_error(fmt::format("--role-keys {} names no key", role));
        role_named(s, role).keys = std::move(keys);
    } else if (name == "config") {
        if (depth > 0)
            throw usage_error("a config file cannot name another config file");
        read_config(s, value, depth + 1);
    } else {
        throw usage_error(
            fmt::format("unknown option --{} (see mob-broker --help)", printable(name)));
    }
}

void read_config(settings& s, const std::string& path, int depth) {
    std::string text;
    try {
        // A directory, a device, a binary file: said plainly, its bytes never echoed.
        text = detail::read_text_file(path, "config file", 1 << 20);
    } catch (const mob::error& e) {
        throw usage_error(e.what());
    }
    std::string_view rest = text;
    for (int number = 1; !rest.empty(); ++number) {
        auto nl = rest.find('\n');
        std::string line{rest.substr(0, nl)};
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        auto last = line.find_last_not_of(" \t\r");
        line = line.substr(first, last - first + 1);
        auto space = line.find_first_of(" \t");
        std::string name = line.substr(0, space);
        std::string value;
        if (space != std::string::npos) {
            value = line.substr(line.find_first_not_of(" \t", space));
        } else if (name == "insecure") {
            value = "yes";  // a flag: its name is enough
        } else {
            throw usage_error(fmt::format("{}:{}: '{}' wants a value (e.g. \"app shop\")", path,
                                          number, printable(line)));
        }
        try {
            apply(s, name, value, depth, path);
        } catch (const usage_error& e) {
            throw usage_error(fmt::format("{}:{}: {}", path, number, e.what()));
        }
    }
}

void check(const settings& s) {
    if (s.app.empty())
        throw usage_error("no app name: give --app NAME (see mob-broker --help)");
    if (!valid_role_name(s.app)) {
        throw usage_error(fmt::format("app name '{}' is not valid: use [A-Za-z0-9_.-], at most 64",
                                      printable(s.app)));
    }
    for (const auto& r : s.roles) {
        if (r.count == 0) {
            throw usage_error(
                fmt::format("--role-keys {} names a role that no --role {}=COUNT "
                            "declares",
                            r.name, r.name));
        }
    }
    if (s.roles.empty())
        throw usage_error("no roles: give at least one --role NAME=COUNT (see mob-broker --help)");
    if (!s.tcp.empty() && s.tcp.rfind("tcp://", 0) != 0) {
        throw usage_error(fmt::format(
            "--tcp wants a tcp:// endpoint (e.g. tcp://0.0.0.0:5555), not '{}'", printable(s.tcp)));
    }
    if (!s.tcp.empty()) {
        try {
            check_tcp_endpoint(s.tcp, endpoint_use::bind, "--tcp");
        } catch (const mob::error& e) {
            throw usage_error(e.what());
        }
    }
    if (s.insecure && (!s.curve_secret.empty() || !s.curve_allow.empty()))
        throw usage_error("--insecure and CURVE keys (--curve-secret, --curve-allow) contradict");
}

}  // namespace

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
        if (arg == "--insecure") {
            s.insecure = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
            throw usage_error(
                fmt::format("unexpected argument '{}' (see mob-broker --help)", printable(arg)));
        }
        std::string name = arg.substr(2);
        std::string value;
        if (auto eq = name.find('='); eq != std::string::npos && name.rfind("role", 0) != 0) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        } else if (name.rfind("role=", 0) == 0 || name.rfind("role-keys=", 0) == 0) {
            auto at = name.find('=');
            value = name.substr(at + 1);
            name = name.substr(0, at);
        } else {
            if (i + 1 >= argc) {
                throw usage_error(
                    fmt::format("--{} wants a value (see mob-broker --help)", printable(name)));
            }
            value = argv[++i];
        }
        apply(s, name, value, 0, "");
    }
    if (!s.help && !s.version)
        check(s);
    return s;
}

}  // namespace mob::broker_tool
