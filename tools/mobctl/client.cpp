#include "client.hpp"

#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "apps.hpp"
#include "signals.hpp"

namespace mob::ctl {

namespace {

constexpr const char* monitor_endpoint = "inproc://mobctl-monitor";

std::string endpoint_of(const std::filesystem::path& app_dir) {
    auto path = (app_dir / control::socket_name).string();
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        throw failure{exit_code::failed,
                      fmt::format("the control socket path {} is longer than {} bytes", path,
                                  sizeof(sockaddr_un::sun_path) - 1)};
    }
    return "ipc://" + path;
}

std::string_view view(const zmq::message_t& m) {
    return {static_cast<const char*>(m.data()), m.size()};
}

}  // namespace

client::client(std::string app, const std::filesystem::path& app_dir,
               std::chrono::milliseconds timeout)
    : app_(std::move(app)),
      timeout_(timeout),
      context_(1),
      socket_(context_, zmq::socket_type::dealer),
      monitor_(context_, zmq::socket_type::pair) {
    auto endpoint = endpoint_of(app_dir);
    socket_.set(zmq::sockopt::linger, 0);
    monitor_.set(zmq::sockopt::linger, 0);
    constexpr int events = ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED;
    if (zmq_socket_monitor(socket_.handle(), monitor_endpoint, events) != 0)
        throw zmq::error_t{};
    monitor_.connect(monitor_endpoint);
    socket_.connect(endpoint);
}

void client::take_monitor_events() {
    for (;;) {
        std::vector<zmq::message_t> frames;
        auto got =
            zmq::recv_multipart(monitor_, std::back_inserter(frames), zmq::recv_flags::dontwait);
        if (!got)
            return;
        if (frames.empty() || frames[0].size() < sizeof(std::uint16_t))
            continue;
        std::uint16_t event = 0;
        std::memcpy(&event, frames[0].data(), sizeof event);
        if (event == ZMQ_EVENT_CONNECT_RETRIED || event == ZMQ_EVENT_DISCONNECTED) {
            // The socket refuses connections, or the kingpin closed ours: it is gone.
            throw failure{exit_code::dead_kingpin, not_running(app_)};
        }
    }
}

client::answer client::take_answer() {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait))
        throw failure{exit_code::failed, "lost the kingpin's answer"};
    std::size_t at = !frames.empty() && frames[0].size() == 0 ? 1 : 0;  // a REQ-style delimiter
    auto n = frames.size() - at;
    if (n < 2 || n > 3 || view(frames[at]) != control::header ||
        (view(frames[at + 1]) != "ok" && view(frames[at + 1]) != "error")) {
        throw failure{exit_code::failed,
                      fmt::format("the kingpin of '{}' answered something that is not {}", app_,
                                  control::header)};
    }
    return {view(frames[at + 1]) == "ok", n == 3 ? std::string{view(frames[at + 2])} : ""};
}

client::answer client::request(std::string_view verb, std::string_view args) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + timeout_;
    take_monitor_events();  // the kingpin may have gone since the last request
    std::array<zmq::const_buffer, 3> frames{zmq::buffer(control::header), zmq::buffer(verb),
                                            zmq::buffer(args)};
    if (!zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait))
        throw failure{exit_code::failed, "cannot queue the request"};
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) {
            throw failure{exit_code::timeout,
                          fmt::format("no answer from the kingpin of '{}' within {} ms", app_,
                                      timeout_.count())};
        }
        std::array<zmq::pollitem_t, 2> items{
            {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {monitor_.handle(), 0, ZMQ_POLLIN, 0}}};
        try {
            zmq::poll(items.data(), items.size(), left);
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR)
                throw;
            if (stop_requested())
                throw interrupted{};
            continue;
        }
        if ((items[0].revents & ZMQ_POLLIN) != 0)
            return take_answer();
        if ((items[1].revents & ZMQ_POLLIN) != 0)
            take_monitor_events();
    }
}

std::string client::ask(std::string_view verb, std::string_view args) {
    auto a = request(verb, args);
    if (a.ok)
        return a.body;
    std::string message = a.body;
    try {
        auto o = control::from_json<control::outcome>(a.body);
        message = !o.message.empty() ? o.message : o.code;
    } catch (const cereal::Exception&) {
        // not an outcome: print the body as it came
    }
    throw failure{exit_code::refused, message};
}

client open_client(const options& opt, const std::string& app) {
    auto dir = live_app_dir(opt.runtime_dir, app);
    return client{app, dir, opt.timeout};
}

}  // namespace mob::ctl
