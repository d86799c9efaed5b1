// The kingpin's control protocol, as mobctl and any other client speak it (see
// docs/protocol.md, "Control protocol"). A client connects a DEALER (or REQ) to
// ipc://RUNTIME_DIR/APP/control.sock and sends
//
//     [MOBCTL1][verb][JSON arguments]        verb: status | events | scale | reload | restart |
//     stop | logs | describe
//
// and gets back
//
//     [MOBCTL1]["ok" | "error"][JSON body]   body: the answer, or {"code": ..., "message": ...}
//
// Bodies are cereal JSON archives of the structs below, with the field names given.
// Fields added after a struct's first version are read with optional_nvp, so a newer
// mobctl reads an older kingpin's answer (the field keeps its default).
#pragma once

#include <cereal/archives/json.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "mob/log_line.hpp"

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mob::control {

inline constexpr std::string_view header = "MOBCTL1";
inline constexpr std::string_view socket_name = "control.sock";

/// Writes `value` under `name`; reading, a JSON object without it leaves `value` as it
/// is (cereal finds a named field anywhere in the object, and throws before it reads
/// anything when there is none).
template <class A, class T>
void optional_nvp(A& ar, const char* name, T& value) {
    if constexpr (std::is_same_v<A, cereal::JSONInputArchive>) {
        try {
            ar(cereal::make_nvp(name, value));
        } catch (const cereal::Exception&) {
            // an older kingpin's answer: not there
        }
    } else {
        ar(cereal::make_nvp(name, value));
    }
}

/// One worker as the broker sees it.
struct worker_status {
    std::string id;
    std::int64_t pid = 0;
    std::string host;
    std::string role;
    std::string state;   ///< "connected" (not ready yet), "ready", "stopping"
    bool local = false;  ///< started by this kingpin
    double uptime_s = 0;
    std::uint32_t credit = 0;
    std::uint64_t in_flight = 0;
    std::uint64_t served = 0;
    std::uint64_t delivered = 0;     ///< messages routed to it
    double last_heartbeat_s = 0;     ///< seconds since the broker last heard from it
    std::uint32_t restarts = 0;      ///< workers of its slot that died before it (local workers)
    std::string last_exit;           ///< how the last of them ended, "" if none
    std::string last_error;          ///< the last one's crash report summary, "" if none
    std::uint64_t owed = 0;          ///< ERRORs/RESULTs kept for it while its pipe is full
    std::uint64_t fates_lost = 0;    ///< ones past the bound on those: lost (it is told: LOST)
    std::int32_t slot = -1;          ///< its place in the role (back#2), -1 if not local
    std::uint64_t output_lines = 0;  ///< lines of stdout and stderr the kingpin captured
    bool output_blocked = false;     ///< its stdout or stderr pipe is full: it waits to write
    std::string key;  ///< the name of the CURVE key it joined with, "" over ipc or NULL
    /// Share of one core it used over the last second or so, from /proc (local workers);
    /// -1: not sampled (an external worker, or one just started).
    double cpu_percent = -1;
    std::uint64_t rss_bytes = 0;  ///< resident memory, from /proc; 0: not sampled
    /// Messages the broker had from it, any command: mobctl top shows the rate, so a
    /// peer that floods the broker stands out.
    std::uint64_t received = 0;

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(id), CEREAL_NVP(pid), CEREAL_NVP(host), CEREAL_NVP(role), CEREAL_NVP(state),
           CEREAL_NVP(local), CEREAL_NVP(uptime_s), CEREAL_NVP(credit), CEREAL_NVP(in_flight),
           CEREAL_NVP(served), CEREAL_NVP(delivered), CEREAL_NVP(last_heartbeat_s),
           CEREAL_NVP(restarts), CEREAL_NVP(last_exit), CEREAL_NVP(last_error), CEREAL_NVP(owed),
           CEREAL_NVP(fates_lost), CEREAL_NVP(slot), CEREAL_NVP(output_lines),
           CEREAL_NVP(output_blocked), CEREAL_NVP(key));
        optional_nvp(ar, "cpu_percent", cpu_percent);
        optional_nvp(ar, "rss_bytes", rss_bytes);
        optional_nvp(ar, "received", received);
    }
};

/// One role: its bounds, its processes and what went through it.
/// How long a role's workers take per call of one method, as the broker measures it:
/// from the calls that waited behind others at a worker, from that worker's previous
/// reply to theirs (docs/design.md, "Dispatch").
struct method_timing {
    std::string method;
    double call_time_us = -1;  ///< the last window's average; -1: not timed yet
    bool fast = false;         ///< under the bound: pipelined at the awake worker under load

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(method), CEREAL_NVP(call_time_us), CEREAL_NVP(fast));
    }
};

struct role_status {
    std::string name;
    std::uint32_t target = 0;
    std::uint32_t min = 0;
    std::uint32_t max = 0;
    std::uint32_t alive = 0;  ///< processes of the role running now
    std::uint32_t ready = 0;
    std::uint64_t restarts = 0;
    std::string last_exit;  ///< how the last worker of the role ended, "" if none has
    std::uint64_t queued_calls = 0;
    std::uint64_t queued_messages = 0;
    std::uint64_t calls_routed = 0;
    std::uint64_t calls_failed = 0;
    std::uint64_t messages_routed = 0;
    std::uint64_t messages_failed = 0;
    bool crash_loop = false;        ///< its workers keep dying quickly
    double next_restart_in_s = -1;  ///< seconds to the next scheduled restart, -1 if none
    std::string last_error;    ///< crash report summary of the last death not asked for, "" if none
    bool external = false;     ///< its workers join from outside: `target` are expected
    std::uint32_t joined = 0;  ///< its workers connected from outside (not started here)
    std::uint64_t max_memory = 0;       ///< its workers' RSS limit in bytes, 0 if none
    std::uint64_t memory_restarts = 0;  ///< workers replaced for passing max_memory
    /// The broker's measure of each method called so far (docs/design.md, "Dispatch").
    std::vector<method_timing> methods;

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(name), CEREAL_NVP(target), CEREAL_NVP(min), CEREAL_NVP(max),
           CEREAL_NVP(alive), CEREAL_NVP(ready), CEREAL_NVP(restarts), CEREAL_NVP(last_exit),
           CEREAL_NVP(queued_calls), CEREAL_NVP(queued_messages), CEREAL_NVP(calls_routed),
           CEREAL_NVP(calls_failed), CEREAL_NVP(messages_routed), CEREAL_NVP(messages_failed),
           CEREAL_NVP(crash_loop), CEREAL_NVP(next_restart_in_s), CEREAL_NVP(last_error),
           CEREAL_NVP(external), CEREAL_NVP(joined));
        optional_nvp(ar, "max_memory", max_memory);
        optional_nvp(ar, "memory_restarts", memory_restarts);
        optional_nvp(ar, "methods", methods);
    }
};

/// The answer to "status".
/// How the kingpin starts its in-process roles' workers (docs/supervision.md, "How
/// workers start").
struct fork_server_status {
    /// "off" (app.fork_server(false) or MOB_FORK_SERVER=0), "starting", "ready", or
    /// "unused" (`note` says why: workers start by exec until the next reload).
    std::string state = "off";
    std::int64_t pid = 0;  ///< the server's, while one runs
    std::string note;
    std::uint64_t forked = 0;  ///< workers started by fork, since the kingpin started
    std::uint64_t execs = 0;   ///< in-process workers started by exec instead

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(state), CEREAL_NVP(pid), CEREAL_NVP(note), CEREAL_NVP(forked),
           CEREAL_NVP(execs));
    }
};

struct app_status {
    std::string app;
    std::int64_t kingpin_pid = 0;
    double uptime_s = 0;
    std::vector<std::string> endpoints;
    std::vector<role_status> roles;
    std::vector<worker_status> workers;
    std::map<std::string, std::uint64_t> monitor_events;     ///< ZeroMQ monitor events by kind
    std::map<std::string, std::uint64_t> monitor_endpoints;  ///< by "kind endpoint"
    std::map<std::string, std::uint64_t> dropped;            ///< frames dropped, by reason
    bool reloading = false;
    std::uint64_t log_lines_dropped = 0;  ///< workers' lines the log output could not keep up with
    std::string tcp_security;             ///< "curve", "insecure", or "" without a TCP endpoint
    std::uint64_t allowed_keys = 0;       ///< keys in the CURVE allow-list now
    /// Peers refused at the TCP endpoint, by reason: "unknown_key" (ZAP), "not_curve"
    /// (no key, PLAIN), "handshake_failed", "bad_handshake", "key_not_allowed" (a role's).
    std::map<std::string, std::uint64_t> refused;
    fork_server_status fork_server;

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(app), CEREAL_NVP(kingpin_pid), CEREAL_NVP(uptime_s), CEREAL_NVP(endpoints),
           CEREAL_NVP(roles), CEREAL_NVP(workers), CEREAL_NVP(monitor_events),
           CEREAL_NVP(monitor_endpoints), CEREAL_NVP(dropped), CEREAL_NVP(reloading),
           CEREAL_NVP(log_lines_dropped), CEREAL_NVP(tcp_security), CEREAL_NVP(allowed_keys),
           CEREAL_NVP(refused));
        optional_nvp(ar, "fork_server", fork_server);
    }
};

/// Something that happened: a ZeroMQ monitor event or a kingpin event.
struct event {
    std::uint64_t seq = 0;  ///< increasing; ask for events after the last one seen
    double time = 0;        ///< seconds since the Unix epoch
    std::string source;     ///< "monitor" or "kingpin"
    std::string kind;       ///< e.g. "accepted", "disconnected", "worker_ready", "worker_died"
    std::string endpoint;   ///< for monitor events
    std::string detail;

    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(seq), CEREAL_NVP(time), CEREAL_NVP(source), CEREAL_NVP(kind),
           CEREAL_NVP(endpoint), CEREAL_NVP(detail));
    }
};

struct events_request {
    std::uint64_t since = 0;  ///< events with seq > since
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(since));
    }
};

struct events_reply {
    std::vector<event> events;
    std::uint64_t last = 0;  ///< the newest seq there is
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(events), CEREAL_NVP(last));
    }
};

struct scale_request {
    std::string role;
    std::uint32_t count = 0;
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(role), CEREAL_NVP(count));
    }
};

/// "reload": replace every worker, one at a time, each once its replacement is ready.
struct reload_request {
    bool same_binary = false;  ///< run the program image the workers run now, not the file on disk
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(same_binary));
    }
};

/// "restart": replace the workers of `role` (every role if empty) at once, not waiting
/// for the new ones to be ready.
struct restart_request {
    std::string role;
    bool same_binary = false;
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(role), CEREAL_NVP(same_binary));
    }
};

/// "logs": the newest lines the kingpin keeps in memory.
struct logs_request {
    std::string role;           ///< only this role's ("kingpin": the kingpin's own); "" for all
    std::uint64_t since = 0;    ///< lines with seq > since
    std::uint64_t lines = 100;  ///< at most the last this many
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(role), CEREAL_NVP(since), CEREAL_NVP(lines));
    }
};

struct logs_reply {
    std::vector<log_line> lines;
    std::uint64_t last = 0;          ///< the newest seq there is
    std::vector<std::string> files;  ///< the log files the lines also go to (older ones too)
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(lines), CEREAL_NVP(last), CEREAL_NVP(files));
    }
};

/// "describe": how the app's roles are set up, and their last deaths.
struct describe_request {
    std::string role;  ///< only this one; "" for every role
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(role));
    }
};

/// A worker's death the kingpin did not ask for (newest last in role_description).
struct death_record {
    double time = 0;  ///< seconds since the Unix epoch
    std::int32_t slot = -1;
    std::int64_t pid = 0;
    std::string exit;    ///< "exit code 1", "killed by SIGSEGV"
    std::string report;  ///< its crash report's summary
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(time), CEREAL_NVP(slot), CEREAL_NVP(pid), CEREAL_NVP(exit),
           CEREAL_NVP(report));
    }
};

/// One role's settings (mob::role_options, resolved) and its last deaths.
struct role_description {
    std::string name;
    std::string kind;     ///< "function" (the app's own program), "program" (mob::exec), "external"
    std::string program;  ///< the file its workers run ("" for external)
    std::vector<std::string> args;  ///< a mob::exec program's arguments
    std::uint32_t min = 0;
    std::uint32_t max = 0;
    std::uint32_t target = 0;
    std::uint32_t credit = 0;  ///< 0: each worker's own (the C++ worker's is 16)
    std::string restart;       ///< "permanent", "transient", "temporary"
    std::vector<int> no_restart_codes;
    double min_uptime_s = 0;
    double backoff_initial_s = 0;
    double backoff_max_s = 0;
    std::uint32_t crash_loop_after = 0;
    double ready_timeout_s = 0;
    std::vector<std::string> listen;  ///< "name=address", the address as bound
    std::vector<std::string> keys;    ///< the CURVE key names it admits ("" : any)
    std::uint64_t max_memory = 0;     ///< bytes, 0: no limit
    std::uint64_t memory_restarts = 0;
    std::vector<death_record> deaths;  ///< the last few, oldest first
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(name), CEREAL_NVP(kind), CEREAL_NVP(program), CEREAL_NVP(args),
           CEREAL_NVP(min), CEREAL_NVP(max), CEREAL_NVP(target), CEREAL_NVP(credit),
           CEREAL_NVP(restart), CEREAL_NVP(no_restart_codes), CEREAL_NVP(min_uptime_s),
           CEREAL_NVP(backoff_initial_s), CEREAL_NVP(backoff_max_s), CEREAL_NVP(crash_loop_after),
           CEREAL_NVP(ready_timeout_s), CEREAL_NVP(listen), CEREAL_NVP(keys),
           CEREAL_NVP(max_memory), CEREAL_NVP(memory_restarts), CEREAL_NVP(deaths));
    }
};

/// The answer to "describe": the app's settings that apply to every role, and each role's.
struct app_description {
    std::string app;
    std::int64_t kingpin_pid = 0;
    std::string env_file;  ///< "" if none
    double heartbeat_s = 0;
    std::uint32_t liveness = 0;  ///< heartbeats missed before a peer is dead
    double kill_timeout_s = 0;
    std::vector<role_description> roles;
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(app), CEREAL_NVP(kingpin_pid), CEREAL_NVP(env_file), CEREAL_NVP(heartbeat_s),
           CEREAL_NVP(liveness), CEREAL_NVP(kill_timeout_s), CEREAL_NVP(roles));
    }
};

/// The body of an "ok" answer that carries no data, and of every "error" answer.
struct outcome {
    std::string
        code;  ///< "ok", or an error name: "unknown_role", "out_of_range", "bad_request", ...
    std::string message;
    template <class A>
    void serialize(A& ar) {
        ar(CEREAL_NVP(code), CEREAL_NVP(message));
    }
};

/// `value` as a JSON object.
template <typename T>
std::string to_json(const T& value) {
    std::ostringstream out;
    {
        cereal::JSONOutputArchive ar{out, cereal::JSONOutputArchive::Options::NoIndent()};
        const_cast<T&>(value).serialize(ar);  // cereal's serialize() is one non-const member
    }
    return out.str();
}

/// Parses a JSON object made by to_json (empty: T's defaults); throws cereal::Exception
/// if it does not fit T.
template <typename T>
T from_json(std::string_view json) {
    T value{};
    if (json.empty())
        return value;
    std::istringstream in{std::string{json}};
    cereal::JSONInputArchive ar{in};
    value.serialize(ar);
    return value;
}

}  // namespace mob::control
