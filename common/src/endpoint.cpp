#include "mob/endpoint.hpp"

#include "mob/detail/text_file.hpp"
#include "mob/error.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

namespace mob {

void check_tcp_endpoint(std::string_view endpoint, endpoint_use use, std::string_view what) {
    const auto shown = detail::printable(endpoint);
    constexpr std::string_view scheme = "tcp://";
    if (!endpoint.starts_with(scheme)) {
        throw error(
            fmt::format("{} '{}' is not a TCP endpoint: write tcp://HOST:PORT (e.g. "
                        "tcp://0.0.0.0:5555)",
                        what, shown));
    }
    auto address = endpoint.substr(scheme.size());
    // libzmq's "tcp://source;destination" form: the port that matters is the destination's.
    if (auto semi = address.find(';'); semi != std::string_view::npos)
        address = address.substr(semi + 1);
    const auto colon = address.rfind(':');
    const auto close = address.rfind(']');
    if (colon == std::string_view::npos || (close != std::string_view::npos && colon < close) ||
        colon == 0) {
        throw error(
            fmt::format("{} '{}' has no host and port: write tcp://HOST:PORT", what, shown));
    }
    const auto port = address.substr(colon + 1);
    if (use == endpoint_use::bind && port == "*")
        return;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    const bool number = !port.empty() && ec == std::errc{} && end == port.data() + port.size();
    const std::uint64_t least = use == endpoint_use::bind ? 0 : 1;
    if (!number || value < least || value > 65535) {
        throw error(fmt::format("{} '{}' has port '{}': a TCP port is a number from 1 to 65535{}",
                                what, shown, detail::printable(port),
                                use == endpoint_use::bind ? " (0 or * picks a free one)" : ""));
    }
}

}  // namespace mob
