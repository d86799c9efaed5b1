#include "mob/worker.hpp"

#include "mob/identity.hpp"
#include "mob/log.hpp"
#include "worker_core.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace mob {

namespace {
std::string env_or_throw(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        throw error(std::string{"worker: "} + name +
                    " is not set (a worker is started by its kingpin, or with MOB_ENDPOINT "
                    "and MOB_ROLE in its environment)");
    }
    return v;
}

std::uint32_t env_number(const char* name, std::uint32_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr)
        return fallback;
    std::uint32_t n = 0;
    std::string_view s{v};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || end != s.data() + s.size() || n == 0)
        return fallback;
    return n;
}
}  // namespace

std::string message::sender_role() const {
    return sender.substr(0, sender.find('/'));
}

std::int64_t message::sender_pid() const {
    auto slash = sender.find('/');
    auto at = sender.find('@');
    if (slash == std::string::npos || at == std::string::npos || at < slash)
        return 0;
    std::int64_t pid = 0;
    std::from_chars(sender.data() + slash + 1, sender.data() + at, pid);
    return pid;
}

worker_options worker::options_from_env() {
    if (std::getenv("MOB_LOG_CAPTURED") != nullptr) {
        // stdout is the kingpin's pipe, not a terminal: line by line all the same, so a
        // worker's printf reaches the log when it is written, not when a buffer fills.
        std::setvbuf(stdout, nullptr, _IOLBF, 0);
    }
    worker_options o;
    o.endpoint = env_or_throw("MOB_ENDPOINT");
    // Without MOB_APP a worker joins whatever app the broker at MOB_ENDPOINT serves.
    const char* app = std::getenv("MOB_APP");
    o.app = app != nullptr ? app : "";
    o.role = env_or_throw("MOB_ROLE");
    const char* spawned = std::getenv("MOB_SPAWNED");
    o.spawned = spawned != nullptr && std::string_view{spawned} == "1";
    o.heartbeat = std::chrono::milliseconds{env_number("MOB_HEARTBEAT_MS", 1000)};
    o.liveness = env_number("MOB_LIVENESS", 3);
    o.credit = env_number("MOB_CREDIT", worker_options{}.credit);
    o.call_timeout = std::chrono::milliseconds{env_number("MOB_CALL_TIMEOUT_MS", 30000)};
    o.reconnect = std::chrono::milliseconds{env_number("MOB_RECONNECT_MS", 1000)};
    o.max_message_size =
        env_number("MOB_MAX_MESSAGE_SIZE", static_cast<std::uint32_t>(o.max_message_size));
    o.reconnect_max = std::chrono::milliseconds{env_number("MOB_RECONNECT_MAX_MS", 32000)};
    if (const char* f = std::getenv("MOB_CURVE_SECRET_FILE"); f != nullptr && *f != '\0')
        o.curve.secret_file = f;
    if (const char* k = std::getenv("MOB_CURVE_SERVER_KEY"); k != nullptr && *k != '\0')
        o.curve.server_key = k;
    if (const char* f = std::getenv("MOB_CURVE_SERVER_KEY_FILE"); f != nullptr && *f != '\0')
        o.curve.server_key_file = f;
    const char* monitor = std::getenv("MOB_MONITOR");
    o.monitor = monitor != nullptr && std::string_view{monitor} == "1";
    if (const char* fd = std::getenv("MOB_CRASH_FD")) {
        std::string_view s{fd};
        int n = -1;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc{} && end == s.data() + s.size() && n > 2)
            o.crash_fd = n;
    }
    return o;
}

worker::worker(worker_options options)
    : core_(std::make_unique<detail::worker_core>(std::move(options))) {}

worker::~worker() = default;

const std::string& worker::app() const noexcept {
    return core_->options().app;
}
const std::string& worker::role() const noexcept {
    return core_->options().role;
}
const std::string& worker::id() const noexcept {
    return core_->id();
}
std::int64_t worker::pid() const noexcept {
    return core_->pid();
}

std::uint64_t worker::send_raw(protocol::target to, std::string_view topic, std::string_view type,
                               std::string payload) {
    return core_->send(to, topic, type, std::move(payload));
}

void worker::on_raw(std::string topic, std::string type, raw_handler handler, bool with_payload) {
    core_->on_raw(std::move(topic), std::move(type), std::move(handler), with_payload);
}
void worker::on_message(std::function<void(const message&)> handler) {
    core_->on_message(std::move(handler));
}
void worker::on_error(std::function<void(const send_error&)> handler) {
    core_->on_error(std::move(handler));
}

void worker::add_export(std::string name, std::string types,
                        std::function<void(const detail::incoming_call&)> fn,
                        export_options options) {
    core_->add_export(std::move(name), std::move(types), std::move(fn), options.inline_call);
}
proxy worker::require(std::string_view role, call_settings settings) {
    if (!valid_role_name(role)) {
        throw error("require: '" + std::string{role} + "' is not a role name", errc::unknown_role);
    }
    return proxy{core_->link(), std::string{role}, settings};
}
std::map<std::string, std::uint64_t> worker::monitor_counts() const {
    return core_->monitor_counts();
}
std::size_t worker::pending_calls() const {
    return core_->pending_calls();
}
std::size_t worker::pending_callbacks() const {
    return core_->pending_callbacks();
}

void worker::ready() {
    core_->ready();
}
bool worker::stopping() const noexcept {
    return core_->stopping();
}
bool worker::wait_until_stopping(std::chrono::milliseconds timeout) {
    return core_->wait_until_stopping(timeout);
}
void worker::request_stop() {
    core_->request_stop("requested by the application");
}
void worker::on_shutdown(std::function<void()> hook) {
    core_->on_shutdown(std::move(hook));
}
call_future<scale_result> worker::scale(int delta) {
    return scale(role(), delta);
}
call_future<scale_result> worker::scale(std::string_view role, int delta) {
    return call_future<scale_result>{core_->start_scale(std::string{role}, delta)};
}
call_future<void> worker::stop_app(int exit_code) {
    return call_future<void>{core_->start_stop_app(exit_code)};
}
bool worker::welcomed() const noexcept {
    return core_->welcomed();
}
bool worker::refused() const noexcept {
    return core_->refused();
}
std::optional<crash_report> worker::last_error() const {
    if (!core_->welcomed() && !core_->refused())
        core_->wait_until_welcomed(core_->options().heartbeat * core_->options().liveness);
    return core_->last_error();
}
bool worker::wait_until_welcomed(std::chrono::milliseconds timeout) {
    return core_->wait_until_welcomed(timeout);
}

}  // namespace mob
