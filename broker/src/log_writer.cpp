#include "log_writer.hpp"

#include "mob/error.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mob::detail {
namespace fs = std::filesystem;

namespace {
void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        auto n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;  // a closed terminal or a full disk: the line is lost, the app goes on
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}
}  // namespace

log_writer::log_writer(log_settings settings)
    : settings_(std::move(settings)),
      file_format_(settings_.terminal == log_format::json ? log_format::json : log_format::plain) {
    if (!settings_.dir.empty()) {
        std::error_code ec;
        fs::create_directories(settings_.dir, ec);
        if (ec || !fs::is_directory(settings_.dir)) {
            throw error(fmt::format("cannot make the log directory {}: {}", settings_.dir.string(),
                                    ec.message()));
        }
    }
    thread_ = std::thread([this] { run(); });
}

log_writer::~log_writer() {
    {
        std::lock_guard lock{mutex_};
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    close_files();
}

bool log_writer::push(const log_line& line, bool must) {
    {
        std::lock_guard lock{mutex_};
        if (!must && queued_bytes_ >= settings_.max_queued_bytes) {
            ++dropped_;
            ++dropped_untold_;
            return false;
        }
        queued_bytes_ += line.message.size() + 64;
        queue_.push_back(line);
    }
    wake_.notify_one();
    return true;
}

void log_writer::reopen() {
    {
        std::lock_guard lock{mutex_};
        reopen_ = true;
    }
    wake_.notify_one();
}

std::uint64_t log_writer::dropped() const {
    std::lock_guard lock{mutex_};
    return dropped_;
}

fs::path log_writer::file_for(const std::string& role) const {
    if (settings_.dir.empty())
        return {};
    if (!settings_.per_role || role == "kingpin")
        return settings_.dir / (settings_.app + ".log");
    return settings_.dir / fmt::format("{}.{}.log", settings_.app, role);
}

void log_writer::run() {
    // A terminal or pipe that went away must not kill the kingpin: SIGPIPE stays
    // pending on this thread and write() fails with EPIPE.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    std::deque<log_line> batch;
    for (;;) {
        bool reopen = false;
        std::uint64_t untold = 0;
        {
            std::unique_lock lock{mutex_};
            wake_.wait(lock, [&] { return stop_ || reopen_ || !queue_.empty(); });
            if (queue_.empty() && stop_ && !reopen_)
                return;
            batch.swap(queue_);
            queued_bytes_ = 0;
            reopen = std::exchange(reopen_, false);
            if (batch.size() > 0 || dropped_untold_ > 0)
                untold = std::exchange(dropped_untold_, 0);
        }
        if (reopen)
            close_files();
        if (untold > 0) {
            log_line note;
            note.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
            note.app = settings_.app;
            note.role = "kingpin";
            note.pid = ::getpid();
            note.stream = "stderr";
            note.level = "warn";
            note.message = fmt::format(
                "{} lines of worker output dropped: the log output could not keep up "
                "(mobctl logs still has them)",
                untold);
            batch.push_front(std::move(note));
        }
        for (const auto& line : batch)
            write_out(line);
        batch.clear();
    }
}

void log_writer::write_out(const log_line& line) {
    auto text = format_log_line(line, settings_.terminal, settings_.colour);
    text.push_back('\n');
    bool to_stdout = line.role != "kingpin" && line.stream == "stdout";
    write_all(to_stdout ? STDOUT_FILENO : STDERR_FILENO, text);
    if (settings_.dir.empty())
        return;
    if (file_format_ != settings_.terminal || settings_.colour) {
        text = format_log_line(line, file_format_, false);
        text.push_back('\n');
    }
    write_file(line, text);
}

void log_writer::write_file(const log_line& line, const std::string& text) {
    auto path = file_for(line.role);
    auto& f = files_[path];
    if (f.fd < 0) {
        f.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (f.fd < 0)
            return;  // tried again with the next line
        struct stat st {};
        f.size = ::fstat(f.fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    }
    write_all(f.fd, text);
    f.size += text.size();
    if (settings_.rotate_bytes > 0 && f.size >= settings_.rotate_bytes)
        rotate(path, f);
}

void log_writer::rotate(const fs::path& path, open_file& f) {
    ::close(f.fd);
    f = {};
    auto numbered = [&](std::uint32_t n) {
        return fs::path{path.string() + "." + std::to_string(n)};
    };
    std::error_code ec;
    std::uint32_t keep = settings_.keep == 0 ? 1 : settings_.keep;
    fs::remove(numbered(keep), ec);
    for (std::uint32_t n = keep; n > 1; --n)
        fs::rename(numbered(n - 1), numbered(n), ec);
    fs::rename(path, numbered(1), ec);
}

void log_writer::close_files() {
    for (auto& [path, f] : files_) {
        if (f.fd >= 0)
            ::close(f.fd);
    }
    files_.clear();
}

}  // namespace mob::detail
