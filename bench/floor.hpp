// The floor: what the same three hops cost with plain cppzmq sockets and nothing
// else. A client DEALER, one ROUTER broker that hands each request to the
// least-recently-used worker with credit to spare (queueing it while none has), and
// echoing worker DEALERs that announce their credit. Frames (first frame: a command):
//
//     worker -> broker   [R][credit]                 ready, with this many calls at once
//     client -> broker   [C][id][payload]            a call
//     broker -> worker   [client][id][payload]
//     worker -> broker   [Y][client][id][payload]    its reply (one credit back)
//     broker -> client   [id][payload]
//     client -> broker   [P][n]  ->  [P][workers][n] how many workers said ready
#pragma once

#include "measure.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// The floor broker process: binds `endpoint` and routes until killed.
int floor_broker_main(const std::string& endpoint);
/// A floor worker process: connects to `endpoint`, announces `credit`, echoes until killed.
int floor_worker_main(const std::string& endpoint, std::uint32_t credit);

/// The benchmark's side of the floor: a DEALER to the floor broker.
class floor_client {
  public:
    floor_client(const std::string& endpoint, std::size_t payload);

    /// Waits until `workers` workers said ready; throws if that takes past `timeout`.
    void wait_for_workers(std::size_t workers, std::chrono::milliseconds timeout);
    /// Round trips of one call at a time, in microseconds, after `warmup` unmeasured ones.
    std::vector<double> latency(std::size_t warmup, std::size_t calls);
    /// Calls per second with `window` calls in flight, over `calls` calls after `warmup`.
    double throughput(std::size_t window, std::size_t warmup, std::size_t calls);

  private:
    void send_call();
    void receive_reply();

    zmq::context_t context_{1};
    zmq::socket_t socket_;
    std::string payload_;
    std::uint64_t next_id_ = 0;
};

}  // namespace bench
