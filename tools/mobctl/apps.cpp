#include "apps.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>

#include "mobctl.hpp"

namespace mob::ctl {
namespace fs = std::filesystem;

namespace {

constexpr const char* pid_file = "kingpin.pid";

bool plain_name(const std::string& app) {
    return !app.empty() && app != "." && app != ".." && app.find('/') == std::string::npos;
}

}  // namespace

std::vector<std::string> app_names(const fs::path& root) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it{root, ec}, end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->is_directory(type_ec))
            names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool kingpin_alive(const fs::path& app_dir) {
    int fd = ::open((app_dir / pid_file).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    // The kingpin holds LOCK_EX for its whole life: if a shared lock is free, it is gone.
    bool alive = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // releases the shared lock, if taken
    return alive;
}

std::int64_t recorded_pid(const fs::path& app_dir) {
    std::ifstream in{app_dir / pid_file};
    std::string text;
    std::getline(in, text);
    std::int64_t pid = 0;
    std::from_chars(text.data(), text.data() + text.size(), pid);
    return pid;
}

std::string not_running(const std::string& app) {
    return fmt::format("the kingpin of '{}' is not running", app);
}

fs::path live_app_dir(const fs::path& root, const std::string& app) {
    auto dir = root / app;
    std::error_code ec;
    if (!plain_name(app) || !fs::is_directory(dir, ec)) {
        throw failure{exit_code::unknown_app, fmt::format("no app '{}' in {}", app, root.string())};
    }
    if (!kingpin_alive(dir))
        throw failure{exit_code::dead_kingpin, not_running(app)};
    return dir;
}

}  // namespace mob::ctl
