// The baselines mob is measured against in the same run, each a group of processes of
// its own (bench/baselines/): node's `mob` 0.0.9 (a node kingpin over cluster IPC, a
// front calling back.echo(x, cb)) and NATS request-reply with a queue group (Debian's
// nats-server, echo responders and a requester in Go, over tcp on 127.0.0.1).
// Their drivers (the node front, the Go requester) take commands on stdin and answer
// with one line on stdout each:
//
//     latency WARMUP CALLS             -> latency_us V V ...   (one call in flight, us each)
//     throughput WINDOW WARMUP CALLS   -> calls_per_s V        (WINDOW calls in flight)
//
// or "error TEXT"; they print "ready" once they can call.
#pragma once

#include "children.hpp"
#include "measure.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bench {

/// A baseline's driver process, measured through the line protocol above.
class line_driver {
  public:
    /// Starts `args` with stdin and stdout piped to us and waits for its "ready".
    line_driver(std::string what, std::vector<std::string> args, spawn_options how,
                std::chrono::milliseconds ready_timeout);

    /// Round trips of one call at a time, in microseconds, after `warmup` unmeasured ones.
    std::vector<double> latency(std::size_t warmup, std::size_t calls);
    /// Calls per second with `window` calls in flight, over `calls` calls after `warmup`.
    double throughput(std::size_t window, std::size_t warmup, std::size_t calls);

  private:
    /// Sends `command`, returns the answer's words after `tag`; throws on anything else.
    std::vector<std::string> ask(const std::string& command, const std::string& tag);

    std::string what_;  // for messages: "node mob", "NATS"
    child child_;
};

/// node's mob: `node DIR/main.js WORKERS PAYLOAD`, a kingpin with WORKERS back workers
/// and one front (the driver), all forked by node's cluster.
class node_mob_rig {
  public:
    node_mob_rig(const std::string& dir, const std::string& node, std::size_t workers,
                 const plan& p);
    line_driver& client() { return driver_; }

  private:
    line_driver driver_;  // the kingpin; its front answers through the stdio it inherits
};

/// NATS: a nats-server on a port of its choosing on 127.0.0.1, `workers` responder
/// processes in one queue group, and the requester.
class nats_rig {
  public:
    nats_rig(const std::string& server, const std::string& client, std::size_t workers,
             const plan& p);
    line_driver& client() { return *requester_; }

  private:
    child server_;  // stopped last
    std::vector<std::unique_ptr<child>> responders_;
    std::optional<line_driver> requester_;  // stopped first
};

}  // namespace bench
