#include "mob/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

namespace mob::log {
namespace {

level level_from_env() {
    const char* v = std::getenv("MOB_LOG");
    if (v == nullptr)
        return level::info;
    std::string_view s{v};
    if (s == "debug")
        return level::debug;
    if (s == "warn" || s == "warning")
        return level::warn;
    if (s == "error")
        return level::error;
    if (s == "off" || s == "none")
        return level::off;
    return level::info;
}

std::atomic<level>& threshold_ref() {
    static std::atomic<level> t{level_from_env()};
    return t;
}

struct context {
    std::mutex mutex;
    std::string prefix{"mob"};
    // Read before the worker clears its MOB_ variables: set_context comes first.
    bool captured = std::getenv("MOB_LOG_CAPTURED") != nullptr;
    sink_function sink = nullptr;
    void* sink_context = nullptr;
};

context& ctx() {
    static context c;
    return c;
}

constexpr std::string_view name_of(level l) {
    switch (l) {
        case level::debug:
            return "debug";
        case level::info:
            return "info";
        case level::warn:
            return "warn";
        case level::error:
            return "error";
        case level::off:
            break;
    }
    return "";
}

constexpr std::string_view level_colour(level l) {
    switch (l) {
        case level::debug:
            return "\033[2m";
        case level::info:
            return "";
        case level::warn:
            return "\033[33m";
        case level::error:
            return "\033[31m";
        case level::off:
            break;
    }
    return "";
}

}  // namespace

void set_context(std::string_view app, std::string_view role) {
    std::lock_guard lock{ctx().mutex};
    ctx().prefix = fmt::format("{} {}", app, role);
    // Again: a worker forked by the fork server inherits the server's context, made
    // before the kingpin gave the worker its environment.
    ctx().captured = std::getenv("MOB_LOG_CAPTURED") != nullptr;
}

level threshold() noexcept {
    return threshold_ref().load(std::memory_order_relaxed);
}
void set_threshold(level l) noexcept {
    threshold_ref().store(l, std::memory_order_relaxed);
}

std::string_view level_name(level l) noexcept {
    return name_of(l);
}

void set_sink(sink_function sink, void* context) noexcept {
    std::lock_guard lock{ctx().mutex};
    ctx().sink = sink;
    ctx().sink_context = context;
}

void write(level l, std::string_view text) {
    static const bool colour = ::isatty(STDERR_FILENO) == 1;
    std::string prefix;
    bool captured = false;
    sink_function sink = nullptr;
    void* sink_context = nullptr;
    {
        std::lock_guard lock{ctx().mutex};
        prefix = ctx().prefix;
        captured = ctx().captured;
        sink = ctx().sink;
        sink_context = ctx().sink_context;
    }
    if (sink != nullptr) {
        sink(sink_context, l, text);
        return;
    }
    std::string line = captured ? fmt::format("{}: {}\n", name_of(l), text)
                       : colour
                           ? fmt::format("{}[{} {}] {}: {}\033[0m\n", level_colour(l), prefix,
                                         ::getpid(), name_of(l), text)
                           : fmt::format("[{} {}] {}: {}\n", prefix, ::getpid(), name_of(l), text);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0)
            break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace mob::log
