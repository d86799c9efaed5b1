// mobctl: parses the command line, runs the command, turns failures into one line on
// stderr and an exit code.
#include <mob/runtime_dir.hpp>
#include <mob/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>
#include <set>

#include "help.hpp"
#include "mobctl.hpp"

namespace mob::ctl {
namespace {

failure usage(const std::string& message) {
    return failure{exit_code::usage, message};
}

std::uint64_t parse_count(std::string_view option, std::string_view value, std::uint64_t least) {
    std::uint64_t n = 0;
    const auto* end = value.data() + value.size();
    auto [at, ec] = std::from_chars(value.data(), end, n);
    if (ec != std::errc{} || at != end || n < least) {
        throw usage(fmt::format("{} wants a whole number{}, not '{}'", option,
                                least > 0 ? fmt::format(" of at least {}", least) : "", value));
    }
    return n;
}

bool takes_value(std::string_view option) {
    static const std::set<std::string_view> with_value{"--runtime-dir", "--timeout",    "--since",
                                                       "--interval",    "--iterations", "--lines",
                                                       "--dir",         "--kind"};
    return with_value.count(option) > 0;
}

bool is_flag(std::string_view option) {
    static const std::set<std::string_view> flags{
        "--help", "--version", "--json", "--follow", "--same-binary", "--live", "--wide"};
    return flags.count(option) > 0;
}

struct command_line {
    arguments positional;
    std::vector<std::string> used;  ///< the options given, by name
    bool help = false;
    bool version = false;
    options opt;
};

void apply(command_line& cl, std::string_view option, std::string_view value) {
    if (option == "--runtime-dir") {
        if (value.empty())
            throw usage("--runtime-dir wants a directory");
        cl.opt.runtime_dir = std::string{value};
    } else if (option == "--timeout") {
        cl.opt.timeout = std::chrono::milliseconds{parse_count(option, value, 1)};
    } else if (option == "--since") {
        cl.opt.since = parse_count(option, value, 0);
    } else if (option == "--interval") {
        cl.opt.interval = std::chrono::milliseconds{parse_count(option, value, 1)};
    } else if (option == "--iterations") {
        cl.opt.iterations = parse_count(option, value, 1);
    } else if (option == "--lines") {
        cl.opt.lines = parse_count(option, value, 0);
    } else if (option == "--same-binary") {
        cl.opt.same_binary = true;
    } else if (option == "--dir") {
        if (value.empty())
            throw usage("--dir wants a directory");
        cl.opt.dir = std::string{value};
    } else if (option == "--kind") {
        if (value != "app" && value != "zmq")
            throw usage(fmt::format("--kind wants app or zmq, not '{}'", value));
        cl.opt.kind = std::string{value};
    } else if (option == "--wide") {
        cl.opt.wide = true;
    } else if (option == "--help") {
        cl.help = true;
    } else if (option == "--version") {
        cl.version = true;
    } else if (option == "--json") {
        cl.opt.json = true;
    } else if (option == "--follow") {
        cl.opt.follow = true;
    } else if (option == "--live") {
        cl.opt.live = true;
    }
}

command_line parse(const std::vector<std::string>& args) {
    command_line cl;
    bool only_positional = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (only_positional || a.size() < 2 || a[0] != '-') {
            cl.positional.emplace_back(a);
            continue;
        }
        if (a == "--") {
            only_positional = true;
            continue;
        }
        std::string_view option = a == "-h" ? "--help" : a;
        std::string_view value;
        bool inline_value = false;
        if (auto eq = option.find('='); eq != std::string_view::npos && option.starts_with("--")) {
            value = option.substr(eq + 1);
            option = option.substr(0, eq);
            inline_value = true;
        }
        if (takes_value(option)) {
            if (!inline_value) {
                if (i + 1 >= args.size())
                    throw usage(fmt::format("{} wants a value", option));
                value = args[++i];
            }
        } else if (!is_flag(option)) {
            throw usage(fmt::format("unknown option '{}' (see mobctl --help)", option));
        } else if (inline_value) {
            throw usage(fmt::format("{} takes no value", option));
        }
        cl.used.emplace_back(option);
        apply(cl, option, value);
    }
    return cl;
}

void check(const command_spec& command, const command_line& cl) {
    for (const auto& option : cl.used) {
        bool common = option == "--runtime-dir" || option == "--timeout" || option == "--help";
        bool own = std::find(command.own_options.begin(), command.own_options.end(), option) !=
                   command.own_options.end();
        if (!common && !own) {
            throw usage(fmt::format("{} is not an option of '{}' (see mobctl {} --help)", option,
                                    command.name, command.name));
        }
    }
    auto n = cl.positional.size() - 1;
    if (n < command.min_args || n > command.max_args) {
        throw usage(command.synopsis.empty()
                        ? fmt::format("'{}' takes no arguments (see mobctl {} --help)",
                                      command.name, command.name)
                        : fmt::format("'{}' wants {} (see mobctl {} --help)", command.name,
                                      command.synopsis, command.name));
    }
}

int run(const std::vector<std::string>& args) {
    auto cl = parse(args);
    if (cl.version) {
        fmt::print("mobctl {}\n", MOB_VERSION);
        return exit_code::ok;
    }
    if (!cl.positional.empty() && cl.positional[0] == "help") {
        cl.help = true;
        cl.positional.erase(cl.positional.begin());
    }
    if (cl.positional.empty()) {
        if (!cl.help)
            throw usage("no command given (see mobctl --help)");
        std::fputs(general_help().c_str(), stdout);
        return exit_code::ok;
    }
    const auto* command = find_command(cl.positional[0]);
    if (command == nullptr) {
        throw usage(fmt::format("unknown command '{}' (see mobctl --help)", cl.positional[0]));
    }
    if (cl.help) {
        std::fputs(command_help(*command).c_str(), stdout);
        return exit_code::ok;
    }
    check(*command, cl);
    if (cl.opt.runtime_dir.empty())
        cl.opt.runtime_dir = mob::runtime_root();
    return command->run(arguments(cl.positional.begin() + 1, cl.positional.end()), cl.opt);
}

}  // namespace
}  // namespace mob::ctl

int main(int argc, char** argv) {
    using namespace mob::ctl;
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const failure& f) {
        std::fflush(stdout);
        fmt::print(stderr, "mobctl: {}\n", f.what());
        return f.code();
    } catch (const interrupted&) {
        return exit_code::ok;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        fmt::print(stderr, "mobctl: {}\n", e.what());
        return exit_code::failed;
    }
}
