// mobctl's commands as the command line sees them: name, arguments, options and help.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mobctl.hpp"

namespace mob::ctl {

struct command_spec {
    std::string_view name;
    std::string_view synopsis;  ///< the arguments, e.g. "APP ROLE N"
    std::size_t min_args = 0;
    std::size_t max_args = 0;
    std::vector<std::string_view> own_options;  ///< besides --runtime-dir, --timeout, --help
    int (*run)(const arguments&, const options&) = nullptr;
    std::string_view summary;  ///< one line, for `mobctl --help`
    std::string_view details;  ///< the rest of `mobctl NAME --help`
};

/// Every command, in the order `mobctl --help` lists them.
const std::vector<command_spec>& commands();
/// The command called `name`, or nullptr.
const command_spec* find_command(std::string_view name);

/// `mobctl --help`.
std::string general_help();
/// `mobctl NAME --help`.
std::string command_help(const command_spec& command);

}  // namespace mob::ctl
