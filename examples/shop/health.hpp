// A worker's health over HTTP, for probes that cannot run mobctl beside the broker's
// control socket (a Kubernetes httpGet probe, a compose healthcheck):
//   GET /livez   200 while this process answers (its threads are not wedged);
//   GET /readyz  200 while the broker has welcomed this worker and it is not stopping,
//                503 otherwise (broker gone, refused, or draining).
// Liveness does not follow the broker: a worker waiting for its broker to come back is
// alive, and restarting it would only add to the outage.
#pragma once

#include <mob/worker.hpp>

#include <atomic>
#include <cstdint>
#include <thread>

#include "http.hpp"

namespace shop {

class health_port {
  public:
    /// Serves on 0.0.0.0:`port` from a thread of its own until destroyed; lives inside
    /// the role function, so it never outlives `w`.
    health_port(std::uint16_t port, mob::worker& w);
    health_port(const health_port&) = delete;
    health_port& operator=(const health_port&) = delete;
    ~health_port();
    std::uint16_t port() const { return server_.port(); }

  private:
    mob::worker& w_;
    http_server server_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace shop
