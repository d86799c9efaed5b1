#include "mob/control_request.hpp"

#include "mob/control.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <iterator>
#include <vector>

namespace mob::control {

std::optional<answer> request(const std::string& runtime_dir, const std::string& app,
                              std::string_view verb, std::string_view json,
                              std::chrono::milliseconds timeout) {
    zmq::context_t ctx{1};
    zmq::socket_t s{ctx, zmq::socket_type::dealer};
    s.set(zmq::sockopt::linger, 0);
    s.connect("ipc://" + runtime_dir + "/" + app + "/" + std::string{socket_name});
    std::vector<zmq::const_buffer> out{zmq::buffer(header), zmq::buffer(verb), zmq::buffer(json)};
    for (std::size_t i = 0; i < out.size(); ++i) {
        s.send(out[i], i + 1 < out.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0)
        return std::nullopt;
    std::vector<zmq::message_t> in;
    if (!zmq::recv_multipart(s, std::back_inserter(in), zmq::recv_flags::dontwait))
        return std::nullopt;
    if (in.size() != 3 || in[0].to_string_view() != header)
        return std::nullopt;
    const auto outcome = in[1].to_string_view();
    if (outcome != "ok" && outcome != "error")
        return std::nullopt;
    return answer{outcome == "ok", in[2].to_string()};
}

}  // namespace mob::control
