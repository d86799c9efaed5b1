#include "mob/app.hpp"

#include "config.hpp"
#include "fork_server_loop.hpp"
#include "kingpin.hpp"
#include "listeners.hpp"
#include "mob/curve.hpp"
#include "mob/endpoint.hpp"
#include "mob/identity.hpp"
#include "mob/log.hpp"
#include "mob/runtime_dir.hpp"
#include "mob/version.hpp"
#include "process_title.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

namespace mob {
namespace fs = std::filesystem;

namespace {
fs::path program_dir() {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : exe.parent_path();
}

/// The process title, then the program's own command line: ps shows both ("myapp
/// (kingpin) ./mob-hello --port 80") and pgrep -f finds the program's name. Spaces, not
/// NULs, between them: the title runs past the original argv, and Linux then reads
/// /proc/PID/cmdline up to the first NUL.
std::string title_with_command(std::string title, int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
        title.push_back(' ');
        title += argv[i];
    }
    return title;
}

void clear_mob_environment() {
    for (const char* name : {"MOB_APP",
                             "MOB_ROLE",
                             "MOB_ENDPOINT",
                             "MOB_SPAWNED",
                             "MOB_HEARTBEAT_MS",
                             "MOB_LIVENESS",
                             "MOB_KINGPIN_PID",
                             "MOB_CREDIT",
                             "MOB_CALL_TIMEOUT_MS",
                             "MOB_CRASH_FD",
                             "MOB_TCP_ENDPOINT",
                             "MOB_RECONNECT_MS",
                             "MOB_RECONNECT_MAX_MS",
                             "MOB_LOG_CAPTURED",
                             "MOB_TCP_INSECURE",
                             "MOB_CURVE_SECRET_FILE",
                             "MOB_CURVE_ALLOW_DIR",
                             "MOB_CURVE_SERVER_KEY",
                             "MOB_CURVE_SERVER_KEY_FILE",
                             "MOB_MAX_MESSAGE_SIZE"}) {
        ::unsetenv(name);
    }
}

void check_restart_options(const std::string& role, const role_options& o) {
    if (detail::restart_policy_name(o.restart) == nullptr) {
        throw error(
            fmt::format("role '{}': restart policy {} is not one of permanent, "
                        "transient, temporary",
                        role, static_cast<int>(o.restart)));
    }
    for (int code : o.no_restart_codes) {
        if (code < 0 || code > 255) {
            throw error(fmt::format(
                "role '{}': no_restart_codes holds {}, but an exit code is 0 to 255", role, code));
        }
    }
    if (o.min_uptime.count() < 0) {
        throw error(
            fmt::format("role '{}': min_uptime ({} ms) is negative", role, o.min_uptime.count()));
    }
    if (o.backoff_initial.count() < 1) {
        throw error(fmt::format("role '{}': backoff_initial ({} ms) must be at least 1 ms", role,
                                o.backoff_initial.count()));
    }
    if (o.backoff_max < o.backoff_initial) {
        throw error(fmt::format("role '{}': backoff_max ({} ms) is below backoff_initial ({} ms)",
                                role, o.backoff_max.count(), o.backoff_initial.count()));
    }
    if (o.crash_loop_after == 0)
        throw error(fmt::format("role '{}': crash_loop_after must be at least 1", role));
    if (o.ready_timeout.count() <= 0) {
        throw error(fmt::format("role '{}': ready_timeout ({} ms) must be above 0", role,
                                o.ready_timeout.count()));
    }
    // The kingpin measures only the processes it starts.
    if (o.max_memory > 0 && o.external)
        throw error(fmt::format("role '{}': max_memory is for roles the kingpin starts", role));
}
}  // namespace

app::app(std::string name)
    : name_(std::move(name)), base_(program_dir()), runtime_root_(mob::runtime_root()) {}

role_spec app::check(const pending_role& r) const {
    if (!valid_role_name(r.name)) {
        throw error(
            fmt::format("role name '{}' is not valid: use [A-Za-z0-9_.-]+, at most 64", r.name));
    }
    const auto& o = r.options;
    role_spec spec{.name = r.name, .entry = r.entry, .min = 1, .max = 1, .options = o};
    if (o.credit && *o.credit == 0)
        throw error(fmt::format("role '{}': credit must be at least 1", r.name));
    check_restart_options(r.name, o);
    detail::check_listen_options(r.name, o.listen);
    if (o.workers && (o.min || o.max)) {
        throw error(fmt::format("role '{}': give either workers or min/max, not both", r.name));
    }
    if (o.workers) {
        if (*o.workers == 0)
            throw error(fmt::format("role '{}': workers must be at least 1", r.name));
        spec.min = spec.max = *o.workers;
    } else if (o.min || o.max) {
        spec.min = o.min.value_or(1);
        spec.max = o.max.value_or(spec.min);
        if (spec.min == 0)
            throw error(fmt::format("role '{}': min must be at least 1", r.name));
        if (spec.max < spec.min) {
            throw error(
                fmt::format("role '{}': max ({}) is below min ({})", r.name, spec.max, spec.min));
        }
    }
    if (auto* fn = std::get_if<role_main>(&spec.entry); fn != nullptr && !*fn && !o.external) {
        throw error(fmt::format("role '{}': the role function is empty", r.name));
    }
    if (auto* prog = std::get_if<program>(&spec.entry); prog != nullptr && !o.external) {
        if (prog->path.is_relative())
            prog->path = base_ / prog->path;
        if (::access(prog->path.c_str(), X_OK) != 0) {
            throw error(fmt::format("role '{}': {} is not an executable program", r.name,
                                    prog->path.string()));
        }
    }
    return spec;
}

namespace {
const char* env_or_null(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}
}  // namespace

std::string app::tcp_endpoint() const {
    const char* env = env_or_null("MOB_TCP_ENDPOINT");
    return env != nullptr ? std::string{env} : tcp_endpoint_;
}

bool app::tcp_insecure() const {
    const char* env = env_or_null("MOB_TCP_INSECURE");
    return env != nullptr ? std::string_view{env} == "1" : tcp_insecure_;
}

curve_server app::curve_keys() const {
    auto c = curve_;
    if (const char* f = env_or_null("MOB_CURVE_SECRET_FILE"))
        c.secret_file = f;
    if (const char* d = env_or_null("MOB_CURVE_ALLOW_DIR"))
        c.allow_dir = d;
    return c;
}

void app::check_tcp() const {
    const pending_role* keyed = nullptr;
    for (const auto& r : pending_) {
        for (const auto& k : r.options.keys) {
            if (!valid_role_name(k)) {
                throw error(
                    fmt::format("role '{}': key name '{}' is not valid: use "
                                "[A-Za-z0-9_.-], at most 64 (NAME of NAME.pub)",
                                r.name, k));
            }
        }
        if (!r.options.keys.empty())
            keyed = &r;
    }
    const auto tcp = tcp_endpoint();
    const bool no_curve = tcp_insecure();
    if (keyed != nullptr && (tcp.empty() || no_curve)) {
        throw error(fmt::format(
            "role '{}' admits only named CURVE keys, but the app has no CURVE TCP endpoint{}",
            keyed->name, tcp.empty() ? "" : " (it is insecure)"));
    }
    if (tcp.empty())
        return;
    check_tcp_endpoint(tcp, endpoint_use::bind, "TCP endpoint");
    if (no_curve)
        return;
    const auto c = curve_keys();
    if (c.secret_file.empty() || c.allow_dir.empty()) {
        throw error(fmt::format(
            "TCP endpoint {} needs CURVE keys: the broker's key pair and a directory of the "
            "workers' public keys (app.curve({{.secret_file, .allow_dir}}), or "
            "MOB_CURVE_SECRET_FILE and MOB_CURVE_ALLOW_DIR; `mobctl keygen NAME` makes "
            "them). On a trusted network only, ask for none: listen_tcp(endpoint, "
            "mob::insecure) or MOB_TCP_INSECURE=1 (docs/security.md)",
            tcp));
    }
    (void)curve::read_secret_file(c.secret_file);
    std::error_code ec;
    if (!fs::is_directory(c.allow_dir, ec)) {
        throw error(
            fmt::format("CURVE allow-list {} is not a directory: make it, and put the "
                        "workers' NAME.pub files in it",
                        c.allow_dir.string()));
    }
    if (c.handshake_timeout.count() <= 0) {
        throw error(fmt::format("CURVE handshake_timeout ({} ms) must be above 0",
                                c.handshake_timeout.count()));
    }
}

void app::validate() const {
    if (!valid_role_name(name_)) {
        throw error(fmt::format("app name '{}' is not valid: use [A-Za-z0-9_.-]+", name_));
    }
    if (pending_.empty())
        throw error(fmt::format("app '{}' has no roles", name_));
    std::set<std::string> seen;
    for (const auto& r : pending_) {
        (void)check(r);
        if (!seen.insert(r.name).second) {
            throw error(fmt::format("role '{}' is declared twice", r.name));
        }
    }
    check_tcp();
    // Below a few KiB no HELLO or crash report fits; over 2 GiB libzmq's int64 limit
    // is fine but a peer could make the kingpin hold that much per message.
    if (limits_.max_message_size < (64u << 10) || limits_.max_message_size > (2ull << 30))
        throw error(fmt::format("max_message_size {} is out of range: 64 KiB to 2 GiB",
                                limits_.max_message_size));
    if (limits_.max_credit == 0)
        throw error("max_credit must be at least 1");
    if (dispatch_.fast_call.count() < 0)
        throw error("dispatch fast_call must not be negative");
}

int app::run(int argc, char** argv) {
    const char* app_name = std::getenv("MOB_APP");
    const bool ours = app_name != nullptr && name_ == app_name;
    if (const char* socket = std::getenv("MOB_FORK_SERVER_FD"); socket != nullptr && ours)
        return run_fork_server(argc, argv, socket);
    if (const char* role = std::getenv("MOB_ROLE"); role != nullptr && ours)
        return run_worker(argc, argv, role);
    // The one flag the kingpin reads; an app that has its own handles argv before run().
    if (argc == 2 && std::string_view{argv[1]} == "--version") {
        fmt::print("{} (mob {})\n", name_, MOB_VERSION);
        return 0;
    }
    return run_kingpin(argc, argv);
}

int app::run_worker(int argc, char** argv, const std::string& role) {
    log::set_context(name_, role);
    try {
        auto options = worker::options_from_env();
        clear_mob_environment();  // a program this worker starts is not a mobster
        const pending_role* mine = nullptr;
        for (const auto& r : pending_) {
            if (r.name == role)
                mine = &r;
        }
        if (mine == nullptr)
            throw error(fmt::format("app '{}' has no role '{}'", name_, role));
        const auto* entry = std::get_if<role_main>(&mine->entry);
        if (entry == nullptr) {
            throw error(fmt::format("role '{}' is served by another program", role));
        }
        if (!*entry) {
            throw error(
                fmt::format("role '{}' is external and this program has no function for "
                            "it: start a program that calls mob::serve",
                            role));
        }
        detail::set_process_title(
            argc, argv,
            title_with_command(fmt::format("{} - {} (mobster)", name_, role), argc, argv));
        return serve(std::move(options), *entry);
    } catch (const std::exception& e) {
        log::error("{}", e.what());
        return 2;
    }
}

int app::run_fork_server(int argc, char** argv, const char* socket) {
    log::set_context(name_, "fork-server");
    int fd = -1;
    try {
        fd = std::stoi(socket);
    } catch (const std::exception&) {
        log::error("MOB_FORK_SERVER_FD is not a descriptor: '{}'", socket);
        return 2;
    }
    ::unsetenv("MOB_FORK_SERVER_FD");
    if (std::getenv("MOB_FORK_SERVER_BIND_NOW") != nullptr) {
        ::unsetenv("LD_BIND_NOW");  // the kingpin's, for the loading: not the program's
        ::unsetenv("MOB_FORK_SERVER_BIND_NOW");
    }
    detail::set_process_title(
        argc, argv, title_with_command(fmt::format("{} (fork server)", name_), argc, argv));
    if (!detail::serve_forks(fd))
        return 0;
    // A forked worker, with the environment the kingpin sent.
    const char* role = std::getenv("MOB_ROLE");
    const char* app_name = std::getenv("MOB_APP");
    if (role == nullptr || app_name == nullptr || name_ != app_name) {
        log::error("the fork server was asked for a worker of another app or of no role");
        return 2;
    }
    return run_worker(argc, argv, role);
}

namespace {
/// MOB_FORK_SERVER=0 or 1 if set, else `configured`; throws mob::error for another value.
bool fork_server_enabled(bool configured) {
    const char* v = env_or_null("MOB_FORK_SERVER");
    if (v == nullptr)
        return configured;
    if (std::string_view{v} == "0" || std::string_view{v} == "1")
        return std::string_view{v} == "1";
    throw error(fmt::format("MOB_FORK_SERVER must be 0 or 1, not '{}'", v));
}
}  // namespace

int app::run_kingpin(int argc, char** argv) {
    log::set_context(name_, "kingpin");
    try {
        validate();
        roles_.clear();
        for (const auto& r : pending_)
            roles_.push_back(check(r));
        detail::kingpin_config config;
        config.app = name_;
        config.roles = roles_;
        config.runtime_root = runtime_root_;
        config.base = base_;
        for (int i = 0; i < argc; ++i)
            config.argv.emplace_back(argv[i]);
        config.heartbeat = heartbeat_;
        config.kill_timeout = kill_timeout_;
        config.max_queued_per_role = max_queued_;
        config.max_owed_per_worker = max_owed_;
        config.queue_timeout = queue_timeout_;
        config.limits = limits_;
        config.dispatch = dispatch_;
        if (!env_file_.empty())
            config.env_file = fs::absolute(env_file_);
        config.on_full = on_full_;
        config.on_death = on_death_;
        config.tcp_endpoint = tcp_endpoint();
        config.reload_same_binary = reload_same_binary_;
        config.fork_server = fork_server_enabled(fork_server_);
        config.logs = logs_;
        config.tcp_insecure = tcp_insecure();
        config.curve = curve_keys();
        detail::set_process_title(
            argc, argv, title_with_command(fmt::format("{} (kingpin)", name_), argc, argv));
        detail::block_kingpin_signals();
        return detail::run_kingpin(config);
    } catch (const std::exception& e) {
        log::error("{}", e.what());
        return 2;
    }
}

namespace detail {
const char* restart_policy_name(restart_policy p) {
    switch (p) {
        case restart_policy::permanent:
            return "permanent";
        case restart_policy::transient:
            return "transient";
        case restart_policy::temporary:
            return "temporary";
    }
    return nullptr;
}
}  // namespace detail

}  // namespace mob
