// The environment file of an app (app::env_file): KEY=VALUE lines given to every
// worker, read when the kingpin starts and again at each reload.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mob::detail {

/// Reads `path`: one KEY=VALUE a line; blank lines and lines starting with '#' are
/// skipped; spaces around KEY are trimmed; a VALUE in matching single or double quotes
/// loses them, otherwise it is taken as it is. Returns "KEY=VALUE" strings. Throws
/// mob::error naming the file and line for an unreadable file, a line without '=', a
/// key that is not [A-Za-z_][A-Za-z0-9_]*, or a MOB_ key (those are the kingpin's).
std::vector<std::string> read_env_file(const std::filesystem::path& path);

/// `base` with each of `overrides` ("KEY=VALUE") replacing the entry of the same key,
/// or added after them.
std::vector<std::string> merge_environment(std::vector<std::string> base,
                                           const std::vector<std::string>& overrides);

}  // namespace mob::detail
