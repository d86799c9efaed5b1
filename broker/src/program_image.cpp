#include "program_image.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mob::detail {
namespace fs = std::filesystem;

namespace {
/// `fd` moved to 64 or above: a child's shared listeners go to 3, 4, ... before it
/// execs, and must not land on the descriptor it is about to exec.
unique_fd high(int fd) {
    if (fd < 0)
        return unique_fd{};
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 64);
    ::close(fd);
    return unique_fd{moved};
}

std::uint64_t next_id() {
    static std::uint64_t last = 0;  // the kingpin's one thread
    return ++last;
}
}  // namespace

program_image program_image::running() {
    program_image img;
    img.id_ = next_id();
    std::error_code ec;
    img.path_ = fs::read_symlink("/proc/self/exe", ec);
    // The file itself, not the path: /proc/self/exe opens the image even once the path
    // names another file (or none).
    img.fd_ = high(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (img.fd_.get() < 0)
        throw error(fmt::format("cannot open this program's file: {}", std::strerror(errno)));
    return img;
}

program_image program_image::open(const fs::path& path) {
    program_image img;
    img.id_ = next_id();
    img.path_ = path;
    if (path.empty() || ::access(path.c_str(), X_OK) != 0) {
        throw error(fmt::format("the program {} is not there or not executable ({})", path.string(),
                                std::strerror(errno)));
    }
    img.fd_ = high(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (img.fd_.get() < 0) {
        throw error(
            fmt::format("cannot open the program {}: {}", path.string(), std::strerror(errno)));
    }
    return img;
}

}  // namespace mob::detail
