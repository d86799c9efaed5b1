// What mobctl's parts share: exit codes, the failure every part throws to end the
// program with one of them, the parsed options, and the commands.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mob::ctl {

/// mobctl's exit codes (documented in `mobctl --help` and docs/mobctl.md).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failed = 1;        ///< anything else: an unreadable answer, an I/O error
inline constexpr int usage = 2;         ///< bad command line
inline constexpr int unknown_app = 3;   ///< no folder of that app in the runtime root
inline constexpr int dead_kingpin = 4;  ///< the folder is there, its kingpin is not
inline constexpr int timeout = 5;       ///< no answer within --timeout
inline constexpr int refused = 6;       ///< the kingpin answered with an error
inline constexpr int unhealthy = 7;     ///< health: the kingpin answers, a role is short of workers
}  // namespace exit_code

/// Ends mobctl with `code`, after printing "mobctl: <what()>" on stderr.
class failure : public std::runtime_error {
  public:
    failure(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
    int code() const noexcept { return code_; }

  private:
    int code_;
};

/// Thrown when SIGINT or SIGTERM interrupts a wait: a clean end (exit 0).
struct interrupted {};

/// The command line, parsed.
struct options {
    std::filesystem::path runtime_dir;  ///< --runtime-dir, else mob::runtime_root()
    std::chrono::milliseconds timeout{3000};
    bool json = false;                         ///< status --json, logs --json
    bool follow = false;                       ///< events --follow, logs --follow
    std::uint64_t since = 0;                   ///< events --since
    std::chrono::milliseconds interval{1000};  ///< top --interval
    std::optional<std::uint64_t> iterations;   ///< top --iterations
    bool live = false;                         ///< health --live
    bool same_binary = false;                  ///< reload/restart --same-binary
    std::uint64_t lines = 20;                  ///< logs --lines
    std::filesystem::path dir{"."};            ///< keygen --dir
    bool wide = false;                         ///< status --wide: full worker ids
    std::string kind;                          ///< events --kind: "app", "zmq" or "" (all)
};

using arguments = std::vector<std::string>;

// The commands (commands.cpp, describe.cpp, live.cpp, health.cpp); each returns the exit code.
int run_ls(const arguments& args, const options& opt);
int run_status(const arguments& args, const options& opt);
int run_describe(const arguments& args, const options& opt);
int run_events(const arguments& args, const options& opt);
int run_top(const arguments& args, const options& opt);
int run_scale(const arguments& args, const options& opt);
int run_reload(const arguments& args, const options& opt);
int run_restart(const arguments& args, const options& opt);
int run_logs(const arguments& args, const options& opt);
int run_stop(const arguments& args, const options& opt);
int run_metrics(const arguments& args, const options& opt);
int run_health(const arguments& args, const options& opt);
int run_keygen(const arguments& args, const options& opt);

}  // namespace mob::ctl
