// The app's setters: each one keeps what it is given; app::check() and
// app::validate() (app.cpp) say what is wrong with it, before anything is spawned.
#include "mob/app.hpp"

namespace mob {
namespace fs = std::filesystem;

app& app::base(fs::path dir) {
    base_ = std::move(dir);
    return *this;
}
app& app::role(std::string name, role_main entry, role_options options) {
    pending_.push_back({std::move(name), std::move(entry), options});
    return *this;
}
app& app::role(std::string name, program entry, role_options options) {
    pending_.push_back({std::move(name), std::move(entry), options});
    return *this;
}
app& app::external_role(std::string name, role_options options) {
    options.external = true;
    pending_.push_back({std::move(name), role_main{}, options});
    return *this;
}
app& app::listen_tcp(std::string endpoint) {
    tcp_endpoint_ = std::move(endpoint);
    tcp_insecure_ = false;
    return *this;
}
app& app::listen_tcp(std::string endpoint, insecure_t) {
    tcp_endpoint_ = std::move(endpoint);
    tcp_insecure_ = true;
    return *this;
}
app& app::curve(curve_server keys) {
    curve_ = std::move(keys);
    return *this;
}
app& app::runtime_root(fs::path root) {
    runtime_root_ = std::move(root);
    return *this;
}
app& app::heartbeat(std::chrono::milliseconds interval) {
    heartbeat_ = interval;
    return *this;
}
app& app::kill_timeout(std::chrono::milliseconds timeout) {
    kill_timeout_ = timeout;
    return *this;
}
app& app::max_owed_per_worker(std::size_t max) {
    max_owed_ = max;
    return *this;
}
app& app::queue_limits(std::size_t max_per_role, std::chrono::milliseconds timeout) {
    max_queued_ = max_per_role;
    queue_timeout_ = timeout;
    return *this;
}

app& app::env_file(fs::path path) {
    env_file_ = std::move(path);
    return *this;
}
app& app::logs(log_options options) {
    logs_ = std::move(options);
    return *this;
}
app& app::reload_same_binary(bool same) {
    reload_same_binary_ = same;
    return *this;
}
app& app::fork_server(bool on) {
    fork_server_ = on;
    return *this;
}
app& app::on_full(std::function<void()> observer) {
    on_full_ = std::move(observer);
    return *this;
}
app& app::on_death(std::function<void(const death_info&)> observer) {
    on_death_ = std::move(observer);
    return *this;
}
app& app::limits(broker_limits l) {
    limits_ = l;
    return *this;
}
app& app::dispatch(dispatch_policy p) {
    dispatch_ = p;
    return *this;
}

}  // namespace mob
