// Reading a small text file a person wrote (a config file, a key file) so that every
// way it can be wrong is said plainly: a directory, a device, an unreadable or a huge
// file, or one that is not text. The messages never echo the file's bytes: a binary
// file named by mistake must not spray a terminal with them (issue 11, point 4).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace mob::detail {

/// The whole of `path` as text. `what` names it in errors ("config file", "key file").
/// Throws mob::error if it is not a regular file, cannot be read, is larger than
/// `max_bytes`, or holds a NUL or another control byte (tab, CR and LF aside) or bytes
/// that are not UTF-8; the message says where (line and column), never what.
std::string read_text_file(const std::filesystem::path& path, std::string_view what,
                           std::size_t max_bytes = 1 << 20);

/// `text` for an error message: as is if it is printable ASCII and short, else with
/// each other byte as \xNN and cut at `max` characters.
std::string printable(std::string_view text, std::size_t max = 80);

}  // namespace mob::detail
