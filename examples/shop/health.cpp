#include "health.hpp"

namespace shop {

health_port::health_port(std::uint16_t port, mob::worker& w) : w_(w), server_(port) {
    thread_ = std::thread([this] {
        server_.serve([this] { return stop_.load(); },
                      [this](const std::string& path) -> http_response {
                          if (path == "/livez")
                              return {200, "alive\n"};
                          if (path == "/readyz") {
                              if (w_.welcomed() && !w_.stopping())
                                  return {200, "ready\n"};
                              return {503, w_.stopping() ? "stopping\n" : "not joined\n"};
                          }
                          return {404, "try /livez or /readyz\n"};
                      });
    });
}

health_port::~health_port() {
    stop_ = true;
    thread_.join();
}

}  // namespace shop
