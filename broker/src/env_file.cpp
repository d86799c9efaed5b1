#include "env_file.hpp"

#include "mob/detail/text_file.hpp"
#include "mob/error.hpp"

#include <fmt/format.h>

namespace mob::detail {

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool valid_key(std::string_view k) {
    if (k.empty() || (k[0] >= '0' && k[0] <= '9'))
        return false;
    for (char c : k) {
        bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return false;
    }
    return true;
}
}  // namespace

std::vector<std::string> read_env_file(const std::filesystem::path& path) {
    // A directory, a device or a binary file is refused as such, never echoed.
    const auto all = read_text_file(path, "env file");
    std::vector<std::string> out;
    std::string_view rest = all;
    for (int n = 1; !rest.empty(); ++n) {
        auto nl = rest.find('\n');
        auto text = trim(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (text.empty() || text.front() == '#')
            continue;
        auto eq = text.find('=');
        if (eq == std::string_view::npos) {
            throw error(fmt::format("env file {}, line {}: expected KEY=VALUE", path.string(), n));
        }
        auto key = trim(text.substr(0, eq));
        auto value = trim(text.substr(eq + 1));
        if (!valid_key(key)) {
            throw error(fmt::format("env file {}, line {}: '{}' is not a variable name",
                                    path.string(), n, printable(key)));
        }
        if (key.starts_with("MOB_")) {
            throw error(
                fmt::format("env file {}, line {}: {} is set by the kingpin, not by the env file",
                            path.string(), n, key));
        }
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        }
        out.push_back(fmt::format("{}={}", key, value));
    }
    return out;
}

std::vector<std::string> merge_environment(std::vector<std::string> base,
                                           const std::vector<std::string>& overrides) {
    for (const auto& o : overrides) {
        auto key = std::string_view{o}.substr(0, o.find('=') + 1);  // "KEY="
        bool replaced = false;
        for (auto& b : base) {
            if (std::string_view{b}.starts_with(key)) {
                b = o;
                replaced = true;
                break;
            }
        }
        if (!replaced)
            base.push_back(o);
    }
    return base;
}

}  // namespace mob::detail
