// What the kingpin and its fork server say to each other over their socket pair: one
// message a datagram (SOCK_SEQPACKET), descriptors alongside (SCM_RIGHTS). Not part of
// the wire protocol: both ends run the same program file (docs/design.md, "How workers
// start").
#pragma once

#include "unique_fd.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace mob::detail::forks {

enum class kind : char {
    ready = 'R',     ///< server -> kingpin: it has loaded the program and waits for requests
    declined = 'D',  ///< server -> kingpin: it cannot fork workers (text says why), and exits
    start = 'S',     ///< kingpin -> server: start a worker (a start_request)
    started = 'P',   ///< server -> kingpin: the worker's pid
    failed = 'E',    ///< server -> kingpin: this worker could not be started (text says why)
};

/// One worker to start. The descriptors go in this order, each only if present:
/// stdout, stderr, crash, then the listeners.
struct start_request {
    std::vector<std::string> env;           ///< its whole environment, LISTEN_* aside
    std::vector<std::string> listen_names;  ///< LISTEN_FDNAMES, one per listener
    bool has_stdout = false;
    bool has_stderr = false;
    bool has_crash = false;
};

/// A datagram and the descriptors that came with it.
struct packet {
    std::string bytes;
    std::vector<unique_fd> fds;
};

/// The most a request may hold: its bytes and its descriptors (the kernel's SCM_MAX_FD
/// is 253; three go to stdout, stderr and the crash pipe).
constexpr std::size_t max_packet_bytes = 256 * 1024;
constexpr std::size_t max_listeners = 64;

std::string encode_start(const start_request& r);
/// The request in `bytes` (the kind byte included); nullopt if it is malformed.
std::optional<start_request> decode_start(const std::string& bytes);
std::string encode_text(kind k, const std::string& text);
std::string encode_pid(pid_t pid);
/// The pid of a `started` message; nullopt if it is not one.
std::optional<pid_t> decode_pid(const std::string& bytes);

/// Sends `bytes` with `fds` (borrowed) in one datagram; false with errno set if it failed.
/// Never raises SIGPIPE.
bool send_packet(int socket, const std::string& bytes, const std::vector<int>& fds = {});
/// Receives one datagram of up to `max_bytes` (waiting for it unless `dont_wait`).
/// nullopt with errno 0 at end of file, EAGAIN if `dont_wait` and none is there, else
/// recvmsg's; a truncated one comes back empty (its descriptors closed).
std::optional<packet> receive_packet(int socket, std::size_t max_bytes, bool dont_wait = false);

}  // namespace mob::detail::forks
