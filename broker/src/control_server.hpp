// The kingpin's control socket: a ROUTER on ipc://RUNTIME_DIR/APP/control.sock that
// answers the requests of mobctl (mob/control.hpp), one at a time, without ever
// blocking the kingpin's loop.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace mob::detail {

class control_server {
  public:
    /// The answer to a request: ok or not, and a JSON body.
    struct answer {
        bool ok = true;
        std::string json;
    };
    using handler = std::function<answer(std::string_view verb, std::string_view json)>;

    control_server(zmq::context_t& context, const std::string& endpoint);
    zmq::socket_ref socket() { return socket_; }
    /// Answers every pending request through `h`.
    void handle_incoming(const handler& h);

  private:
    zmq::socket_t socket_;
};

}  // namespace mob::detail
