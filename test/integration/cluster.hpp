// The integration tests' fixture: a real kingpin (test/apps/test_app.cpp) on a fresh
// runtime directory, and a probe that joins it as a worker over the real ipc socket.
#pragma once

#include <mob/worker.hpp>

#include <fmt/format.h>

#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace mob::test {

inline const std::regex full_line{"full: every role has its workers"};

/// How much smaller to make load tests ($MOB_TEST_LOAD_DIVISOR, set by sanitizer runs).
inline int load_divisor() {
    const char* v = std::getenv("MOB_TEST_LOAD_DIVISOR");
    int d = v != nullptr ? std::atoi(v) : 1;
    return d > 0 ? d : 1;
}

/// A running test app: kingpin plus workers.
class cluster {
  public:
    explicit cluster(std::map<std::string, std::string> env = {})
        : cluster(MOB_TEST_APP, std::move(env)) {}
    /// Another program of app "testapp" (roles back and front); `pass_fds` are handed
    /// to the kingpin as systemd's socket activation does (child_process).
    cluster(std::string program, std::map<std::string, std::string> env,
            std::vector<int> pass_fds = {})
        : kingpin_({std::move(program)}, with_runtime_dir(std::move(env)), std::move(pass_fds)) {}

    child_process& kingpin() { return kingpin_; }
    std::string runtime_dir() const { return dir_.path(); }
    std::string endpoint() const { return "ipc://" + dir_.path() + "/testapp/broker.sock"; }

    /// Waits for the kingpin's "full" line (from line `from` on).
    bool wait_full(std::chrono::milliseconds timeout = 30s, std::size_t from = 0) {
        return kingpin_.wait_for(full_line, timeout, from).has_value();
    }

    /// Pids of the workers of `role` that are ready now (per the kingpin's log).
    std::set<pid_t> ready_pids(const std::string& role) const {
        std::set<pid_t> pids;
        std::regex ready{fmt::format("ready: {} worker pid (\\d+)", role)};
        for (const auto& p : kingpin_.matches(ready))
            pids.insert(std::stoi(p));
        std::regex died{fmt::format("{} worker pid (\\d+) died", role)};
        for (const auto& p : kingpin_.matches(died))
            pids.erase(std::stoi(p));
        return pids;
    }

  private:
    std::map<std::string, std::string> with_runtime_dir(std::map<std::string, std::string> env) {
        env.emplace("MOB_RUNTIME_DIR", dir_.path());
        return env;
    }

    temp_dir dir_;  // first: the kingpin is started inside it
    child_process kingpin_;
};

/// The test itself joined to a cluster as a worker: it collects the acks and errors
/// that come back to it.
class probe {
  public:
    explicit probe(const cluster& c, std::string role = "front")
        : worker_(
              worker_options{.endpoint = c.endpoint(), .app = "testapp", .role = std::move(role)}) {
        worker_.on<std::string>("ack", [this](const std::string& a) {
            std::lock_guard lock{mutex_};
            acks_.push_back(a);
            cv_.notify_all();
        });
        // The probe is a process of the app too: it acks its own probes like the others.
        worker_.on<int>("probe", [this](const int& value) {
            std::lock_guard lock{mutex_};
            acks_.push_back(fmt::format("{} {} {}", worker_.role(), worker_.pid(), value));
            cv_.notify_all();
        });
        worker_.on_error([this](const send_error& e) {
            std::lock_guard lock{mutex_};
            errors_.push_back(e);
            cv_.notify_all();
        });
        worker_.ready();
    }

    worker& w() { return worker_; }

    /// Waits for `n` acks in all; returns them ("role pid value").
    std::vector<std::string> wait_acks(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock{mutex_};
        cv_.wait_for(lock, timeout, [&] { return acks_.size() >= n; });
        return acks_;
    }
    std::vector<send_error> wait_errors(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock{mutex_};
        cv_.wait_for(lock, timeout, [&] { return errors_.size() >= n; });
        return errors_;
    }
    /// Waits until `pred(acks)` holds; returns the acks then.
    template <typename Pred>
    std::vector<std::string> wait_acks_until(Pred pred, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock{mutex_};
        cv_.wait_for(lock, timeout, [&] { return pred(acks_); });
        return acks_;
    }
    std::vector<std::string> acks() {
        std::lock_guard lock{mutex_};
        return acks_;
    }
    std::vector<send_error> errors() {
        std::lock_guard lock{mutex_};
        return errors_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> acks_;
    std::vector<send_error> errors_;
    worker worker_;  // last: its handlers use the members above
};

/// Acks for probe value `value`, as {pid -> count}.
inline std::map<pid_t, int> acks_for(const std::vector<std::string>& acks, int value,
                                     const std::string& role = "") {
    std::map<pid_t, int> out;
    for (const auto& a : acks) {
        char r[64] = {};
        int pid = 0;
        int v = 0;
        if (std::sscanf(a.c_str(), "%63s %d %d", r, &pid, &v) == 3 && v == value &&
            (role.empty() || role == r)) {
            ++out[pid];
        }
    }
    return out;
}

}  // namespace mob::test
