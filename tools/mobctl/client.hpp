// A client of one kingpin's control socket (mob/control.hpp): a DEALER on
// ipc://APP_DIR/control.sock, with linger 0, a deadline on every answer, and a
// monitor that tells a socket that refuses connections or goes away.
#pragma once

#include <mob/control.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <fmt/format.h>
#include <cereal/details/helpers.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "mobctl.hpp"

namespace mob::ctl {

class client {
  public:
    /// Connects to the kingpin of `app`, whose folder is `app_dir`.
    client(std::string app, const std::filesystem::path& app_dir,
           std::chrono::milliseconds timeout);
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    struct answer {
        bool ok = false;
        std::string body;  ///< JSON
    };

    /// Sends [MOBCTL1][verb][args] and waits for the answer. Throws failure:
    /// dead_kingpin if the socket refuses or the kingpin goes away, timeout if no
    /// answer comes in time, failed if the answer is not MOBCTL1; interrupted if
    /// SIGINT or SIGTERM comes (after catch_stop_signals()).
    answer request(std::string_view verb, std::string_view args = "{}");

    /// request(), but an "error" answer throws failure refused with its message;
    /// returns the body of the "ok" answer.
    std::string ask(std::string_view verb, std::string_view args = "{}");

    /// ask(), with the body parsed as T.
    template <typename T>
    T ask_as(std::string_view verb, std::string_view args = "{}") {
        return parse<T>(ask(verb, args));
    }

    /// `json` as T; throws failure failed if it does not fit.
    template <typename T>
    T parse(const std::string& json) const {
        try {
            return control::from_json<T>(json);
        } catch (const cereal::Exception& e) {
            throw failure{
                exit_code::failed,
                fmt::format("cannot read the answer of the kingpin of '{}': {}", app_, e.what())};
        }
    }

    const std::string& app() const { return app_; }

  private:
    void take_monitor_events();
    answer take_answer();

    std::string app_;
    std::chrono::milliseconds timeout_;
    zmq::context_t context_;
    zmq::socket_t socket_;
    zmq::socket_t monitor_;  ///< events of socket_: refused, disconnected
};

/// A client of the kingpin of `app` under opt.runtime_dir. Throws failure unknown_app
/// or dead_kingpin (see live_app_dir).
client open_client(const options& opt, const std::string& app);

}  // namespace mob::ctl
