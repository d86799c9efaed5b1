// mob-broker: runs a kingpin with no application code. Every role is external: the
// kingpin starts no worker and waits for programs that link libmob-worker to join over
// its TCP endpoint (the docker case; docs/external-workers.md).
//
//     mob-broker --app shop --tcp tcp://0.0.0.0:5555 --curve-secret broker.secret
//                --curve-allow workers/ --role back=2 --role front=1
//     mob-broker --config /etc/mob/shop.conf
#include <mob/app.hpp>
#include <mob/version.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "settings.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_usage = 2;  ///< bad command line or config file (as mobctl's)

constexpr const char* help_text = R"(mob-broker: a mob kingpin with no application code

usage: mob-broker --app NAME --tcp ENDPOINT --curve-secret FILE --curve-allow DIR
                  --role NAME=COUNT [--role ...] [options]
       mob-broker --app NAME --tcp ENDPOINT --insecure --role NAME=COUNT [options]
       mob-broker --config FILE [options]

Every role is external: the kingpin starts no worker. Workers are programs that
link libmob-worker and call mob::serve, started anywhere with
    MOB_ENDPOINT=tcp://HOST:PORT MOB_ROLE=NAME MOB_CURVE_SECRET_FILE=NAME.secret \
    MOB_CURVE_SERVER_KEY_FILE=broker.pub ./worker
A role is full when COUNT of its workers are ready; calls to a role wait in the
broker until one of its workers joins. Keys: mobctl keygen NAME (docs/security.md).

options:
  --app NAME           the app's name ([A-Za-z0-9_.-], at most 64)
  --tcp ENDPOINT       bind this TCP endpoint for workers, e.g. tcp://0.0.0.0:5555
                       (port 1 to 65535, or 0 for a free one: the log line
                       "listening on ..." says which). It speaks CURVE only.
  --curve-secret FILE  the broker's key pair (NAME.secret from mobctl keygen)
  --curve-allow DIR    a directory of the workers' public keys (NAME.pub); only
                       they are admitted. Read again when it changes.
  --insecure           no CURVE on --tcp: no authentication, no encryption, for
                       trusted networks only (logged as a warning)
  --handshake-ms N     how long a peer may take to finish its handshake (5000)
  --role NAME=COUNT    an external role and how many workers make it full (repeat)
  --role-keys NAME=KEY,KEY  only workers with these CURVE keys (the NAMEs of
                       their NAME.pub) may serve role NAME
  --heartbeat-ms N     broker-worker heartbeat interval (default 1000)
  --max-message-bytes N  the largest message a worker may send (default 16777216;
                       65536 to 2147483647); bigger ones get too_large
  --max-credit N       the most calls one worker is sent at once (default 1024)
  --max-queued N       calls, and any() messages, waiting for a role (default 10000);
                       past it the sender gets queue_full
  --queue-timeout-ms N how long they may wait (default 30000): then timeout/expired
  --max-owed N         errors and results kept for a worker whose pipe is full
                       (default 10000); past it they are counted as lost (fates_lost)
  --spread-workers N   a role's calls go to idle workers first until N of them are
                       busy (default: this machine's CPUs); past that, fast calls
                       go to the busy worker that is awake. A role's worker count
                       or more: plain least-recently-used spreading
  --fast-call-us N     calls a worker answers in under N microseconds on average
                       are fast (default 250)
  --slow-call-depth N  while no worker of a role is idle, a busy one gets at most N
                       slow calls at once, the rest wait for the first to answer
                       (default 2; 0: as many as its credit)
  --runtime-dir DIR    where the runtime directory goes (default $MOB_RUNTIME_DIR,
                       else $XDG_RUNTIME_DIR/mob, else /tmp/mob-UID); mobctl finds
                       the app there
  --config FILE        read options from FILE, one per line: "app shop",
                       "tcp tcp://0.0.0.0:5555", "role back=2", "insecure"; blank
                       lines and lines starting with # are skipped; relative paths
                       in it are relative to its directory. Options on the command
                       line after --config add to it or override it.
  --help               this text
  --version            print mob-broker's version and exit

Stop it with SIGTERM or SIGINT (or mobctl stop NAME): it tells every worker to
STOP and exits. A broker killed any other way can be started again on the same
endpoint: the workers reconnect and join it by themselves.

exit codes:
  0  stopped cleanly
  2  bad command line or config file (the message says why), or the kingpin
     could not start or failed (bind, runtime directory taken: its log says why)
)";

}  // namespace

int main(int argc, char** argv) {
    using namespace mob::broker_tool;
    settings s;
    try {
        s = parse(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "mob-broker: %s\n", e.what());
        return exit_usage;
    }
    if (s.help) {
        std::fputs(help_text, stdout);
        return exit_ok;
    }
    if (s.version) {
        std::printf("mob-broker %s\n", MOB_VERSION);
        return exit_ok;
    }
    // This process is the kingpin, whatever its environment says.
    ::unsetenv("MOB_ROLE");
    // The command line wins over the environment.
    if (!s.tcp.empty()) {
        ::unsetenv("MOB_TCP_ENDPOINT");
        ::unsetenv("MOB_TCP_INSECURE");
    }
    if (!s.curve_secret.empty())
        ::unsetenv("MOB_CURVE_SECRET_FILE");
    if (!s.curve_allow.empty())
        ::unsetenv("MOB_CURVE_ALLOW_DIR");
    mob::app app{s.app};
    mob::curve_server keys{.secret_file = s.curve_secret, .allow_dir = s.curve_allow};
    if (s.handshake_ms > 0)
        keys.handshake_timeout = std::chrono::milliseconds{s.handshake_ms};
    app.curve(keys);
    if (!s.tcp.empty() && s.insecure)
        app.listen_tcp(s.tcp, mob::insecure);
    else if (!s.tcp.empty())
        app.listen_tcp(s.tcp);
    if (!s.runtime_dir.empty())
        app.runtime_root(s.runtime_dir);
    if (s.heartbeat_ms > 0)
        app.heartbeat(std::chrono::milliseconds{s.heartbeat_ms});
    mob::broker_limits limits;
    if (s.max_message_bytes > 0)
        limits.max_message_size = s.max_message_bytes;
    if (s.max_credit > 0)
        limits.max_credit = s.max_credit;
    app.limits(limits);
    if (s.max_queued > 0 || s.queue_timeout_ms > 0) {
        app.queue_limits(
            s.max_queued > 0 ? s.max_queued : 10000,
            std::chrono::milliseconds{s.queue_timeout_ms > 0 ? s.queue_timeout_ms : 30000});
    }
    if (s.max_owed > 0)
        app.max_owed_per_worker(s.max_owed);
    mob::dispatch_policy dispatch;
    dispatch.spread_workers = s.spread_workers;
    if (s.fast_call_us > 0)
        dispatch.fast_call = std::chrono::microseconds{s.fast_call_us};
    if (s.slow_call_depth)
        dispatch.slow_call_depth = *s.slow_call_depth;
    app.dispatch(dispatch);
    for (const auto& r : s.roles)
        app.external_role(r.name, {.workers = r.count, .keys = r.keys});
    try {
        app.validate();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mob-broker: %s\n", e.what());
        return exit_usage;
    }
    return app.run(argc, argv);
}
