#include "mob/runtime_dir.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mob {
namespace fs = std::filesystem;

namespace {

void make_private_dir(const fs::path& dir) {
    // Whoever can enter the directory can connect to the broker's and the control
    // socket, which take any worker and any command: it must be ours alone (0700).
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        throw error(fmt::format("cannot create runtime directory {}: {}", dir.string(),
                                std::strerror(errno)));
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        throw error(fmt::format("cannot look at runtime directory {}: {}", dir.string(),
                                std::strerror(errno)));
    }
    if (S_ISLNK(st.st_mode)) {
        throw error(
            fmt::format("runtime directory {} is a symbolic link: refusing it (use a "
                        "real directory, or set MOB_RUNTIME_DIR)",
                        dir.string()));
    }
    if (!S_ISDIR(st.st_mode)) {
        throw error(fmt::format("runtime directory {} is not a directory", dir.string()));
    }
    if (st.st_uid != ::getuid()) {
        throw error(fmt::format(
            "runtime directory {} belongs to uid {}, not to this user (uid {}): refusing it "
            "(another user could reach the sockets in it; set MOB_RUNTIME_DIR to a directory "
            "of your own)",
            dir.string(), st.st_uid, ::getuid()));
    }
    if ((st.st_mode & 0077) != 0) {
        throw error(
            fmt::format("runtime directory {} has mode {:04o}: others may reach the sockets in it; "
                        "refusing it (chmod 700 {} if it is yours to keep, or remove it)",
                        dir.string(), st.st_mode & 07777, dir.string()));
    }
}

}  // namespace

fs::path runtime_root() {
    if (const char* d = std::getenv("MOB_RUNTIME_DIR"); d != nullptr && *d != '\0')
        return d;
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && *x != '\0') {
        return fs::path{x} / "mob";
    }
    return fs::path{fmt::format("/tmp/mob-{}", ::getuid())};
}

fs::path app_runtime_dir(const fs::path& root, std::string_view app) {
    return root / app;
}

runtime_dir::runtime_dir(const fs::path& root, std::string_view app)
    : path_(app_runtime_dir(root, app)) {
    std::error_code ec;
    fs::create_directories(root.parent_path(), ec);
    make_private_dir(root);
    make_private_dir(path_);
    auto pid_file = path_ / "kingpin.pid";
    lock_fd_ = ::open(pid_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) {
        throw error(fmt::format("cannot open {}: {}", pid_file.string(), std::strerror(errno)));
    }
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        auto n = ::pread(lock_fd_, buf, sizeof buf - 1, 0);
        ::close(lock_fd_);
        lock_fd_ = -1;
        throw error(fmt::format("another kingpin of app '{}' (pid {}) is running on {}", app,
                                n > 0 ? std::string{buf, static_cast<std::size_t>(n)} : "?",
                                path_.string()));
    }
    auto pid = std::to_string(::getpid());
    if (::ftruncate(lock_fd_, 0) != 0 ||
        ::pwrite(lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        throw error(fmt::format("cannot write {}: {}", pid_file.string(), std::strerror(errno)));
    }
}

runtime_dir::~runtime_dir() {
    if (lock_fd_ < 0)
        return;
    std::error_code ec;
    // Remove what we made while we still hold the lock, then the lock itself.
    for (const auto& entry : fs::directory_iterator(path_, ec)) {
        if (entry.path().filename() != "kingpin.pid")
            fs::remove_all(entry.path(), ec);
    }
    fs::remove(path_ / "kingpin.pid", ec);
    ::close(lock_fd_);
    fs::remove(path_, ec);
}

std::string runtime_dir::ipc_endpoint(std::string_view name) const {
    auto p = (path_ / name).string();
    if (p.size() >= sizeof(sockaddr_un::sun_path)) {
        throw error(
            fmt::format("ipc path {} is longer than {} bytes: set MOB_RUNTIME_DIR to a "
                        "shorter directory",
                        p, sizeof(sockaddr_un::sun_path) - 1));
    }
    return "ipc://" + p;
}

void runtime_dir::release_in_child() noexcept {
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
    lock_fd_ = -1;
}

}  // namespace mob
