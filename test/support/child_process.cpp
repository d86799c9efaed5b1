#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace mob::test {

namespace {
/// Writes `n` in decimal and a NUL at `out`: safe after fork, as spawn.cpp's.
void write_decimal(char* out, long n) {
    char digits[24];
    int len = 0;
    do {
        digits[len++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0 && len < 20);
    for (int i = 0; i < len; ++i)
        out[i] = digits[len - 1 - i];
    out[len] = '\0';
}
}  // namespace

child_process::child_process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                             std::vector<int> pass_fds) {
    if (!pass_fds.empty())
        env["LISTEN_PID"] = std::string(24, '0');  // the child writes its pid in
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string s{*e};
        auto name = s.substr(0, s.find('='));
        if (env.count(name) == 0)
            env_strings.push_back(s);
    }
    for (const auto& [k, v] : env)
        env_strings.push_back(k + "=" + v);
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    char* listen_pid = nullptr;
    for (auto& e : env_strings) {
        cenv.push_back(e.data());
        if (!pass_fds.empty() && e.rfind("LISTEN_PID=", 0) == 0)
            listen_pid = e.data() + 11;
    }
    cenv.push_back(nullptr);
    const int passed = static_cast<int>(pass_fds.size());

    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        // Dies with the test, even one that crashes: no kingpin outlives its test.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::setpgid(0, 0);
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        if (passed > 0) {
            write_decimal(listen_pid, ::getpid());
            // Above 3..3+n-1 first, then into place; dup2's copies cross exec.
            int moved[16];
            for (int i = 0; i < passed && i < 16; ++i)
                moved[i] =
                    ::fcntl(pass_fds[static_cast<std::size_t>(i)], F_DUPFD_CLOEXEC, 3 + passed);
            for (int i = 0; i < passed && i < 16; ++i)
                ::dup2(moved[i], 3 + i);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { read_loop(fd); });
}

child_process::~child_process() {
    if (!status_) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
    ::kill(-pid_, SIGKILL);  // anything left in the group
    if (reader_.joinable())
        reader_.join();
}

void child_process::read_loop(int fd) {
    std::string partial;
    char buf[4096];
    for (;;) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t pos;
        std::lock_guard lock{mutex_};
        while ((pos = partial.find('\n')) != std::string::npos) {
            lines_.push_back(partial.substr(0, pos));
            partial.erase(0, pos + 1);
        }
        cv_.notify_all();
    }
    ::close(fd);
    std::lock_guard lock{mutex_};
    if (!partial.empty())
        lines_.push_back(partial);
    eof_ = true;
    cv_.notify_all();
}

std::optional<std::size_t> child_process::wait_for(const std::regex& pattern,
                                                   std::chrono::milliseconds timeout,
                                                   std::size_t from) {
    return wait_for_line([&](const std::string& line) { return std::regex_search(line, pattern); },
                         timeout, from);
}

std::optional<std::size_t> child_process::wait_for_line(
    const std::function<bool(const std::string&)>& matches, std::chrono::milliseconds timeout,
    std::size_t from) {
    std::unique_lock lock{mutex_};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t i = from;
    for (;;) {
        for (; i < lines_.size(); ++i) {
            if (matches(lines_[i]))
                return i;
        }
        if (eof_)
            return std::nullopt;
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
            for (; i < lines_.size(); ++i) {
                if (matches(lines_[i]))
                    return i;
            }
            return std::nullopt;
        }
    }
}

bool child_process::wait_for_count(const std::regex& pattern, std::size_t n,
                                   std::chrono::milliseconds timeout, std::size_t from) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t found = 0;
    std::size_t at = from;
    while (found < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left < 0ms)
            return false;
        auto i = wait_for(pattern, left, at);
        if (!i)
            return false;
        ++found;
        at = *i + 1;
    }
    return true;
}

std::vector<std::string> child_process::matches(const std::regex& pattern, std::size_t from) const {
    std::lock_guard lock{mutex_};
    std::vector<std::string> out;
    for (std::size_t i = from; i < lines_.size(); ++i) {
        std::smatch m;
        if (std::regex_search(lines_[i], m, pattern))
            out.push_back(m.size() > 1 ? m[1].str() : m[0].str());
    }
    return out;
}

std::size_t child_process::line_count() const {
    std::lock_guard lock{mutex_};
    return lines_.size();
}

std::string child_process::line(std::size_t i) const {
    std::lock_guard lock{mutex_};
    return i < lines_.size() ? lines_[i] : std::string{};
}

std::string child_process::output() const {
    std::lock_guard lock{mutex_};
    std::string out;
    for (const auto& l : lines_)
        out += l + "\n";
    return out;
}

void child_process::signal(int sig) {
    ::kill(pid_, sig);
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
    if (status_)
        return status_;
    int st = 0;
    bool done = eventually([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, timeout);
    if (!done)
        return std::nullopt;
    status_ = st;
    // Its last lines may still be in the pipe: let the reader take them (briefly, since
    // processes it started may hold the pipe open after it is gone).
    std::unique_lock lock{mutex_};
    cv_.wait_for(lock, std::chrono::seconds{1}, [this] { return eof_; });
    return status_;
}

temp_dir::temp_dir() {
    char tmpl[] = "/tmp/mobt-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

bool process_alive(pid_t pid) {
    if (::kill(pid, 0) != 0)
        return false;
    std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
    std::string content;
    std::getline(stat, content);
    auto close = content.rfind(')');
    return close == std::string::npos || content.size() < close + 2 || content[close + 2] != 'Z';
}

bool wait_process_gone(pid_t pid, std::chrono::milliseconds timeout) {
    return eventually([pid] { return !process_alive(pid); }, timeout);
}

}  // namespace mob::test
