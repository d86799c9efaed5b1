// The processes a measured path runs on, on a fresh directory, over ipc or tcp: the
// floor's broker, workers and client, or a kingpin, its echo workers and the bench
// joined as a client. Each rig stops and reaps its processes when it goes.
#pragma once

#include "children.hpp"
#include "floor.hpp"
#include "measure.hpp"
#include "mob_side.hpp"
#include "options.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

/// argv[0] of the processes the rigs start: this program again, in another mode.
inline constexpr const char* program_name = "mob-rpc-bench";

/// Where a broker binds: ipc://DIR/NAME, or tcp://127.0.0.1:PORT on a port that was free
/// a moment ago (asked of the kernel; another process could take it in between, which a
/// benchmark may risk: the broker's bind would then fail and the run say so).
std::string bind_endpoint(transport t, const temp_dir& dir, const std::string& name);

/// The floor: its broker, `workers` workers of `credit`, and our client.
class floor_rig {
  public:
    floor_rig(std::size_t workers, std::uint32_t credit, const plan& p, transport t);
    floor_client& client() { return *client_; }

  private:
    temp_dir dir_;  // first: removed last
    std::string endpoint_;
    child broker_;
    std::vector<std::unique_ptr<child>> workers_;
    std::unique_ptr<floor_client> client_;  // last: gone before the processes
};

/// A kingpin with `workers` echo workers of `credit`, and the benchmark joined to it as
/// a worker of role "client". Over ipc the kingpin spawns the echo workers; over tcp it
/// listens on 127.0.0.1 (insecure: no CURVE, as the floor has none) and the echo workers
/// are external ones this rig starts, joining the way workers on other hosts do.
class mob_rig {
  public:
    mob_rig(std::size_t workers, std::uint32_t credit, const plan& p, serve_mode mode, transport t);
    mob_client& client() { return *client_; }

  private:
    temp_dir dir_;
    std::string tcp_;  // the kingpin's TCP endpoint; empty over ipc
    child kingpin_;
    std::vector<std::unique_ptr<child>> echo_workers_;  // over tcp only
    std::unique_ptr<mob_client> client_;                // says goodbye before the kingpin stops
};

}  // namespace bench
