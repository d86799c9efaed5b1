#include "log_tail.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mob::detail {

namespace fs = std::filesystem;

namespace {

/// The whole lines of the last log_tail_bytes of `file` ("" if it cannot be read).
std::string file_end(const fs::path& file) {
    std::ifstream in{file, std::ios::binary};
    if (!in)
        return {};
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
    const auto start = size > log_tail_bytes ? size - log_tail_bytes : 0;
    in.seekg(static_cast<std::streamoff>(start));
    std::string text(size - start, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    if (start > 0) {  // the first line is cut: drop it
        auto nl = text.find('\n');
        text.erase(0, nl == std::string::npos ? text.size() : nl + 1);
    }
    return text;
}

bool same_line(const log_line& a, const log_line& b) {
    return a.role == b.role && a.slot == b.slot && a.pid == b.pid && a.message == b.message;
}

void take_lines(const std::string& text, const std::string& role, std::int64_t oldest_ms,
                std::vector<log_line>& at_oldest, std::vector<log_line>& out) {
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        auto l = parse_plain_log_line(line);
        if (!l || l->time_ms > oldest_ms || (!role.empty() && l->role != role))
            continue;
        if (l->time_ms == oldest_ms) {
            // The ring holds lines of this millisecond too: skip those, once each.
            auto in_ring = std::find_if(at_oldest.begin(), at_oldest.end(),
                                        [&](const log_line& r) { return same_line(r, *l); });
            if (in_ring != at_oldest.end()) {
                at_oldest.erase(in_ring);
                continue;
            }
        }
        out.push_back(std::move(*l));
    }
}

}  // namespace

std::vector<log_line> older_file_lines(const std::vector<fs::path>& files, const std::string& role,
                                       std::int64_t oldest_ms, std::vector<log_line> at_oldest,
                                       std::size_t max) {
    std::vector<log_line> out;
    for (const auto& file : files) {
        auto rotated = file;
        rotated += ".1";
        take_lines(file_end(rotated), role, oldest_ms, at_oldest, out);
        take_lines(file_end(file), role, oldest_ms, at_oldest, out);
    }
    // Several files (one per role) interleave by time; stable keeps each file's order.
    std::stable_sort(out.begin(), out.end(),
                     [](const log_line& a, const log_line& b) { return a.time_ms < b.time_ms; });
    if (out.size() > max)
        out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(max));
    return out;
}

}  // namespace mob::detail
