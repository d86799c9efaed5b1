#include "mob/detail/text_file.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mob::detail {
namespace {

/// Length of the UTF-8 sequence starting at `s[i]` (0 if it is not a valid one).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size())
        return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void check_text(std::string_view text, const std::filesystem::path& path, std::string_view what) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line;
            column = 1;
            ++i;
            continue;
        }
        const bool control = (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f;
        const auto n = control ? 0 : utf8_length(text, i);
        if (n == 0) {
            throw error(fmt::format(
                "{} {} is not a text file: it holds {} at line {}, column {} (is it the "
                "right file?)",
                what, path.string(), c == 0 ? "a NUL byte" : fmt::format("byte 0x{:02x}", c), line,
                column));
        }
        i += n;
        ++column;
    }
}

}  // namespace

std::string printable(std::string_view text, std::size_t max) {
    std::string out;
    for (char ch : text) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f)
            out += ch;
        else
            out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

std::string read_text_file(const std::filesystem::path& path, std::string_view what,
                           std::size_t max_bytes) {
    const auto name = path.string();
    // open() then fstat(): what is checked is what is read, even if the path changes.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        throw error(fmt::format("cannot read {} {}: {}", what, name, std::strerror(errno)));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw error(fmt::format("cannot read {} {}: {}", what, name, std::strerror(errno)));
    if (S_ISDIR(st.st_mode))
        throw error(fmt::format("{} {} is a directory, not a file", what, name));
    if (!S_ISREG(st.st_mode)) {
        throw error(
            fmt::format("{} {} is not a regular file (a device, pipe or socket)", what, name));
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
        throw error(fmt::format("{} {} is {} bytes long, more than the {} bytes such a file may be",
                                what, name, st.st_size, max_bytes));
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        auto n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw error(fmt::format("cannot read {} {}: {}", what, name, std::strerror(errno)));
        if (n == 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    check_text(text, path, what);
    return text;
}

}  // namespace mob::detail
