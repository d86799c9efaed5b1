#include "program_image.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mob::detail {
namespace fs = std::filesystem;

program_image program_image::running() {
    program_image img;
    std::error_code ec;
    img.path_ = fs::read_symlink("/proc/self/exe", ec);
    // The file itself, not the path: /proc/self/exe opens the image even once the path
    // names another file (or none).
    img.fd_ = unique_fd{::open("/proc/self/exe", O_RDONLY | O_CLOEXEC)};
    if (img.fd_.get() < 0)
        throw error(fmt::format("cannot open this program's file: {}", std::strerror(errno)));
    return img;
}

program_image program_image::open(const fs::path& path) {
    program_image img;
    img.path_ = path;
    if (path.empty() || ::access(path.c_str(), X_OK) != 0) {
        throw error(fmt::format("the program {} is not there or not executable ({})", path.string(),
                                std::strerror(errno)));
    }
    img.fd_ = unique_fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (img.fd_.get() < 0) {
        throw error(
            fmt::format("cannot open the program {}: {}", path.string(), std::strerror(errno)));
    }
    return img;
}

}  // namespace mob::detail
