// The kingpin's side of its fork server (fork_server_loop.hpp is the server's): starts
// the server from a program image, and asks it for workers instead of exec'ing each
// one. Anything that goes wrong (the server declines because the program runs threads
// before app::run(), ends, does not answer, or sends nonsense) leaves it unused: the
// supervisor then starts workers by spawn(), as without it.
#pragma once

#include "program_image.hpp"
#include "spawn.hpp"
#include "unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mob::detail {

class fork_server {
  public:
    /// How long a request may wait for the server's answer before it counts as stuck.
    static constexpr std::chrono::milliseconds answer_timeout{2000};
    /// How long the kingpin waits for a new server to be ready before it starts workers
    /// by exec meanwhile: about one worker's start, unless main() is slow before run().
    static constexpr std::chrono::milliseconds ready_wait{500};

    /// Starts the server: `image` run with `argv`, `env` (the workers' environment
    /// without any role's variables) and MOB_FORK_SERVER_FD. Makes the kingpin a child
    /// subreaper, so the workers it forks are the kingpin's children. A server that
    /// cannot be started is broken() from the start.
    fork_server(const program_image& image, const std::vector<std::string>& argv,
                std::vector<std::string> env);
    /// Closes the socket (the server exits at end of file) and kills it.
    ~fork_server();
    fork_server(const fork_server&) = delete;
    fork_server& operator=(const fork_server&) = delete;

    pid_t pid() const { return pid_; }
    /// Whether it can start workers now: it said it is ready (waiting up to `wait` for
    /// that) and is not broken.
    bool ready(std::chrono::milliseconds wait = std::chrono::milliseconds{0});
    /// What ready() last found, without looking again.
    bool known_ready() const { return ready_; }
    /// Why it is not used (empty while it starts or works): said once in the log.
    const std::string& broken() const { return broken_; }
    /// Starts the worker `request` describes, as spawn() would (its exe and argv aside:
    /// the server's program runs). Throws mob::error if the server fails it; the server
    /// is broken() from then on unless only this worker's request was refused.
    pid_t start(const spawn_request& request);
    /// What became of one request of start_all(): its pid, or 0 and why not.
    struct outcome {
        pid_t pid = 0;
        std::string error;
    };
    /// Starts every worker of `requests` in one exchange: all the requests are sent,
    /// then all the answers read, so the server forks them back to back and the kingpin
    /// waits once, not once a worker. One outcome per request, in their order.
    std::vector<outcome> start_all(const std::vector<const spawn_request*>& requests);
    /// The supervisor reaped it (`status` from waitpid). `expected`: the app is stopping,
    /// so it is no news (said at debug level, not as a warning).
    void ended(int status, bool expected = false);
    std::uint64_t forked() const { return forked_; }

  private:
    void mark_broken(std::string why, bool expected = false);

    unique_fd socket_;
    pid_t pid_ = 0;
    bool ready_ = false;
    bool reaped_ = false;
    std::string broken_;
    std::uint64_t forked_ = 0;
};

}  // namespace mob::detail
