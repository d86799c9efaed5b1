#include "baselines.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace bench {
namespace {

/// How long one command may take: a whole latency or throughput run of a baseline, which
/// on a loaded machine can be slow, but never this slow unless something hangs.
constexpr std::chrono::seconds answer_timeout{120};
/// node's cluster forks and loads every worker one after the other.
constexpr std::chrono::seconds start_timeout{30};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in{line};
    std::vector<std::string> w;
    for (std::string s; in >> s;) {
        w.push_back(std::move(s));
    }
    return w;
}

double number(const std::string& what, const std::string& text) {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') {
        throw std::runtime_error(fmt::format("{}: '{}' is not a number", what, text));
    }
    return v;
}

/// Another program than this one, found on PATH unless `program` is a path.
spawn_options run_program(const std::string& program, bool capture_stderr = false,
                          bool pipe_stdio = false) {
    spawn_options how;
    how.program = program;
    how.capture_stderr = capture_stderr;
    how.pipe_stdio = pipe_stdio;
    return how;
}

}  // namespace

line_driver::line_driver(std::string what, std::vector<std::string> args, spawn_options how,
                         std::chrono::milliseconds ready_timeout)
    : what_(std::move(what)), child_(std::move(args), [&] {
          how.pipe_stdio = true;
          return how;
      }()) {
    auto line = child_.read_line(ready_timeout);
    if (!line || *line != "ready") {
        throw std::runtime_error(
            fmt::format("{}: {} instead of 'ready' (it ended, or took over {} ms)", what_,
                        line ? "'" + *line + "'" : "no line", ready_timeout.count()));
    }
}

std::vector<std::string> line_driver::ask(const std::string& command, const std::string& tag) {
    child_.send_line(command);
    auto line = child_.read_line(answer_timeout);
    if (!line) {
        throw std::runtime_error(fmt::format("{}: no answer to '{}' within {} s (did it end?)",
                                             what_, command, answer_timeout.count()));
    }
    auto w = words(*line);
    if (w.empty() || w[0] != tag) {
        throw std::runtime_error(
            fmt::format("{}: '{}' answered '{}'", what_, command, line->substr(0, 200)));
    }
    w.erase(w.begin());
    return w;
}

std::vector<double> line_driver::latency(std::size_t warmup, std::size_t calls) {
    auto w = ask(fmt::format("latency {} {}", warmup, calls), "latency_us");
    if (w.size() != calls) {
        throw std::runtime_error(
            fmt::format("{}: {} round trips reported, not {}", what_, w.size(), calls));
    }
    std::vector<double> us;
    us.reserve(w.size());
    for (const auto& s : w) {
        us.push_back(number(what_, s));
    }
    return us;
}

double line_driver::throughput(std::size_t window, std::size_t warmup, std::size_t calls) {
    auto w = ask(fmt::format("throughput {} {} {}", window, warmup, calls), "calls_per_s");
    if (w.size() != 1) {
        throw std::runtime_error(
            fmt::format("{}: a throughput answer of {} words", what_, w.size()));
    }
    return number(what_, w[0]);
}

node_mob_rig::node_mob_rig(const std::string& dir, const std::string& node, std::size_t workers,
                           const plan& p)
    : driver_("node mob",
              {node, dir + "/main.js", std::to_string(workers), std::to_string(p.payload)},
              run_program(node), start_timeout) {}

nats_rig::nats_rig(const std::string& server, const std::string& client, std::size_t workers,
                   const plan& p)
    // -p -1: a free port the server picks and logs, so no port is guessed or raced for.
    : server_({server, "-a", "127.0.0.1", "-p", "-1"},
              run_program(server, /*capture_stderr=*/true)) {
    const std::string listening = "Listening for client connections on ";
    auto line = server_.wait_for_line(listening, start_timeout);
    if (!line) {
        throw std::runtime_error(
            "NATS: nats-server did not say it listens (it ended, or took over 30 s)");
    }
    auto url = "nats://" + line->substr(line->find(listening) + listening.size());
    if (!server_.wait_for_line("Server is ready", start_timeout)) {
        throw std::runtime_error(
            "NATS: nats-server did not say it is ready (it ended, or took over 30 s)");
    }
    for (std::size_t i = 0; i < workers; ++i) {
        // Each says "ready" once its queue subscription reached the server.
        responders_.push_back(
            std::make_unique<child>(std::vector<std::string>{client, "respond", url},
                                    run_program(client, false, /*pipe_stdio=*/true)));
        auto ready = responders_.back()->read_line(start_timeout);
        if (!ready || *ready != "ready") {
            throw std::runtime_error(
                "NATS: a responder did not say ready (it ended, or took over 30 s)");
        }
    }
    requester_.emplace("NATS",
                       std::vector<std::string>{client, "request", url, std::to_string(p.payload)},
                       run_program(client), start_timeout);
}

}  // namespace bench
