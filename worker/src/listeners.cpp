// Shared listening sockets, the worker's side: what the kingpin passed (see
// mob/detail/listen_fds.hpp), taken once per process.
#include "mob/detail/listen_fds.hpp"
#include "mob/error.hpp"
#include "mob/worker.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace mob {
namespace detail {

namespace {
constexpr int first_fd = 3;  // SD_LISTEN_FDS_START

long parse_number(const char* name, std::string_view text) {
    long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n < 0) {
        throw error(fmt::format("{}='{}' is not a number (socket activation)", name, text));
    }
    return n;
}
}  // namespace

std::vector<listen_fd> parse_listen_fds(const char* fds, const char* pid, const char* names,
                                        long self) {
    if (fds == nullptr || pid == nullptr)
        return {};
    if (parse_number("LISTEN_PID", pid) != self)
        return {};  // meant for the process that set them, not this one
    const long n = parse_number("LISTEN_FDS", fds);
    std::vector<listen_fd> out;
    std::string_view rest = names != nullptr ? names : "";
    bool more = names != nullptr && *names != '\0';
    for (long i = 0; i < n; ++i) {
        std::string name = "unknown";
        if (more) {
            auto colon = rest.find(':');
            name = std::string{rest.substr(0, colon)};
            more = colon != std::string_view::npos;
            rest = more ? rest.substr(colon + 1) : std::string_view{};
        }
        out.push_back({std::move(name), first_fd + static_cast<int>(i)});
    }
    return out;
}

const std::vector<listen_fd>& inherited_listen_fds() {
    static const std::vector<listen_fd> table = [] {
        auto fds = parse_listen_fds(std::getenv("LISTEN_FDS"), std::getenv("LISTEN_PID"),
                                    std::getenv("LISTEN_FDNAMES"), static_cast<long>(::getpid()));
        for (const char* v : {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"})
            ::unsetenv(v);
        // Inherited across exec on purpose; from here on, this process's alone.
        for (const auto& f : fds) {
            int flags = ::fcntl(f.fd, F_GETFD);
            if (flags >= 0)
                ::fcntl(f.fd, F_SETFD, flags | FD_CLOEXEC);
        }
        return fds;
    }();
    return table;
}

int find_listen_fd(const std::vector<listen_fd>& table, std::string_view name) {
    std::string names;
    for (const auto& f : table) {
        if (f.name == name)
            return f.fd;
        names += (names.empty() ? "" : ", ") + f.name;
    }
    if (names.empty()) {
        throw error(
            fmt::format("no listener '{}': this worker has none (give its role a listen option, "
                        "e.g. {{.listen = {{\"{}=127.0.0.1:8080\"}}}})",
                        name, name));
    }
    throw error(fmt::format("no listener '{}': this worker has {}", name, names));
}

}  // namespace detail

int worker::listener(std::string_view name) const {
    return detail::find_listen_fd(detail::inherited_listen_fds(), name);
}

}  // namespace mob
