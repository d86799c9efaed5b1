// What the mobctl tests share: mobctl run as a child process, as a user runs it, and a
// stand-in kingpin for what a real one cannot show on demand (dead, silent, fixed answers).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster.hpp"

namespace mob::test {

struct run_result {
    int code = -1;    ///< exit code; 128 + signal if killed; -1 if it did not end in time
    std::string out;  ///< stdout and stderr
};

/// Runs mobctl with `args`; waits (bounded) for it to end and for all its output.
inline run_result mobctl(std::vector<std::string> args, std::chrono::milliseconds timeout = 15s) {
    args.insert(args.begin(), MOB_MOBCTL);
    child_process p{args};
    run_result r;
    auto status = p.wait_exit(timeout);
    p.wait_for(std::regex{"[^\\s\\S]"}, 2s);  // matches nothing: returns at end of output
    r.out = p.output();
    if (status)
        r.code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    return r;
}

/// mobctl on the cluster's runtime directory.
inline run_result mobctl(const cluster& c, std::vector<std::string> args) {
    args.push_back("--runtime-dir");
    args.push_back(c.runtime_dir());
    return mobctl(std::move(args));
}

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A stand-in for a kingpin: an app folder whose kingpin.pid it holds locked (unless
/// `locked` is false), and optionally a ROUTER on its control.sock that answers each
/// request through `answer` (no frames: no answer).
class fake_kingpin {
  public:
    using answerer = std::function<std::vector<std::string>(const std::vector<std::string>&)>;

    fake_kingpin(const std::string& root, const std::string& app, bool locked,
                 std::optional<answerer> answer = std::nullopt)
        : dir_(root + "/" + app), answer_(std::move(answer)) {
        ::mkdir(dir_.c_str(), 0700);
        lock_fd_ = ::open((dir_ + "/kingpin.pid").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        auto pid = std::to_string(::getpid());
        EXPECT_EQ(::write(lock_fd_, pid.data(), pid.size()), static_cast<ssize_t>(pid.size()));
        if (locked) {
            EXPECT_EQ(::flock(lock_fd_, LOCK_EX | LOCK_NB), 0);
        }
        if (answer_) {
            router_.set(zmq::sockopt::linger, 0);
            router_.bind("ipc://" + dir_ + "/control.sock");
            thread_ = std::thread([this] { serve(); });
        }
    }
    ~fake_kingpin() {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
        ::close(lock_fd_);
    }

    /// The requests received so far, without the routing id.
    std::vector<std::vector<std::string>> requests() {
        std::lock_guard lock{mutex_};
        return requests_;
    }

  private:
    void serve() {
        while (!stop_) {
            zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
            zmq::poll(items, 1, std::chrono::milliseconds{20});
            if ((items[0].revents & ZMQ_POLLIN) == 0)
                continue;
            std::vector<zmq::message_t> frames;
            if (!zmq::recv_multipart(router_, std::back_inserter(frames)))
                continue;
            std::vector<std::string> request;
            for (std::size_t i = 1; i < frames.size(); ++i)
                request.push_back(frames[i].to_string());
            {
                std::lock_guard lock{mutex_};
                requests_.push_back(request);
            }
            auto reply = (*answer_)(request);
            if (reply.empty())
                continue;
            std::vector<zmq::message_t> out;
            out.push_back(std::move(frames[0]));
            for (const auto& f : reply)
                out.emplace_back(f.data(), f.size());
            zmq::send_multipart(router_, out);
        }
    }

    std::string dir_;
    std::optional<answerer> answer_;
    int lock_fd_ = -1;
    zmq::context_t context_;
    zmq::socket_t router_{context_, zmq::socket_type::router};
    std::mutex mutex_;
    std::vector<std::vector<std::string>> requests_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

inline std::vector<std::string> ok(const std::string& body) {
    return {"MOBCTL1", "ok", body};
}

}  // namespace mob::test
