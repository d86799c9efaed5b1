// How the supervisor starts workers: a start is prepared (its request, pipes and child
// record), then forked by the fork server (fork_server.hpp) for an in-process role once
// it is ready, or started by spawn() (fork and exec) for a mob::exec role and whenever
// the fork server is off, starting or unused; then its record takes the worker's pid.
// The starts that are due go to the fork server in batches, one exchange each.
#include "env_file.hpp"
#include "listeners.hpp"
#include "mob/log.hpp"
#include "output_capture.hpp"
#include "supervisor.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mob::detail {

/// A start under way: until commit(), its child record waits in children_ under `key`,
/// below 0, so free_slot() and the role's counts see it.
struct supervisor::launch {
    pid_t key = 0;
    const role_spec* role = nullptr;
    spawn_request req;
    bool in_process = false;
    const program_image* image = nullptr;
    std::optional<output_capture::pipes> output;
    unique_fd crash_write;  ///< the child's end: closed here once it is started
    std::uint32_t quick_deaths = 0;
    std::uint32_t restarts = 0;
};

supervisor::launch_ptr supervisor::prepare(const role_spec& role, pid_t replaces,
                                           std::uint32_t quick_deaths, std::uint32_t restarts,
                                           std::string predecessor_exit,
                                           std::optional<crash_report> predecessor_report) {
    changed_ = true;
    launch_ptr l{new launch};
    l->role = &role;
    l->quick_deaths = quick_deaths;
    l->restarts = restarts;
    auto& req = l->req;
    if (const auto* prog = std::get_if<program>(&role.entry)) {
        req.exe = prog->path.string();
        req.argv.push_back(req.exe);
        req.argv.insert(req.argv.end(), prog->args.begin(), prog->args.end());
    }
    // During a reload, every worker started (a replacement, or a revival) runs the new
    // file: the reload replaces each old one.
    l->image = reload_.image ? &*reload_.image : &image_;
    l->in_process = std::holds_alternative<role_main>(role.entry);
    if (l->in_process) {
        req.exe = l->image->path().string();
        req.exe_fd = l->image->fd();
        req.argv = config_.argv;
    }
    std::vector<std::string> mob_env{
        "MOB_APP=" + config_.app,
        "MOB_ROLE=" + role.name,
        "MOB_ENDPOINT=" + endpoint_,
        "MOB_SPAWNED=1",
        fmt::format("MOB_HEARTBEAT_MS={}", config_.heartbeat.count()),
        fmt::format("MOB_LIVENESS={}", config_.liveness),
        fmt::format("MOB_KINGPIN_PID={}", ::getpid()),
        fmt::format("MOB_MAX_MESSAGE_SIZE={}", config_.limits.max_message_size),
    };
    if (role.options.credit)  // else each worker's own default
        mob_env.push_back(fmt::format("MOB_CREDIT={}", *role.options.credit));
    req.env = merge_environment(worker_environment(mob_env), env_overrides_);
    if (listeners_ != nullptr)
        req.listen = listeners_->for_role(role.name);
    auto pipe = make_crash_pipe();
    unique_fd crash_read{pipe.read};
    l->crash_write = unique_fd{pipe.write};
    if (pipe.write >= 0) {
        req.crash_fd = pipe.write;
        req.env.push_back(fmt::format("MOB_CRASH_FD={}", pipe.write));
    } else {
        log::warn("no crash pipe for a {} worker ({}): its crash report will lack exceptions",
                  role.name, std::strerror(errno));
    }
    if (capture_ != nullptr) {
        l->output = capture_->make_pipes();
        if (l->output) {
            req.stdout_fd = l->output->out_write.get();
            req.stderr_fd = l->output->err_write.get();
            req.env.emplace_back("MOB_LOG_CAPTURED=1");  // its mob::log lines: no prefix
        } else {
            log::warn("no output pipes for a {} worker ({}): it writes where the kingpin does",
                      role.name, std::strerror(errno));
        }
    }
    child c;
    c.crash_pipe = std::move(crash_read);
    c.predecessor_report = std::move(predecessor_report);
    c.role = role.name;
    auto old = replaces != 0 ? children_.find(replaces) : children_.end();
    c.slot = old != children_.end() ? old->second.slot : free_slot(role.name);
    c.replaces = replaces;
    c.quick_deaths = quick_deaths;
    c.restarts = restarts;
    c.predecessor_exit = std::move(predecessor_exit);
    l->key = next_launch_key_--;
    children_.emplace(l->key, std::move(c));
    return l;
}

pid_t supervisor::commit(launch& l, pid_t pid) {
    auto node = children_.extract(l.key);
    node.key() = pid;
    auto& c = node.mapped();
    c.pid = pid;
    c.started = clock::now();
    if (l.output) {
        capture_->attach(pid, c.role, c.slot, std::move(l.output->out_read),
                         std::move(l.output->err_read));
    }
    children_.insert(std::move(node));
    ++stats_[l.role->name].started;
    log::debug("started {} worker pid {}", l.role->name, pid);
    return pid;
}

void supervisor::abandon(launch& l, clock::time_point now, const std::string& why) {
    auto node = children_.extract(l.key);
    retry_later(*l.role, l.quick_deaths, now, l.restarts, std::move(node.mapped().predecessor_exit),
                std::move(node.mapped().predecessor_report), why);
}

void supervisor::retry_later(const role_spec& role, std::uint32_t quick_deaths,
                             clock::time_point now, std::uint32_t restarts,
                             std::string predecessor_exit,
                             std::optional<crash_report> predecessor_report,
                             const std::string& why) {
    auto delay = backoff(role, quick_deaths);
    log::error("could not start a {} worker: {}; trying again in {} ms", role.name, why,
               delay.count());
    scheduled_.push_back({role.name, now + delay, quick_deaths + 1, restarts,
                          std::move(predecessor_exit), std::move(predecessor_report)});
}

void supervisor::launch_deleter::operator()(launch* l) const {
    delete l;
}

pid_t supervisor::start(const role_spec& role, pid_t replaces, std::uint32_t quick_deaths,
                        std::uint32_t restarts, std::string predecessor_exit,
                        std::optional<crash_report> predecessor_report) {
    auto l = prepare(role, replaces, quick_deaths, restarts, std::move(predecessor_exit),
                     std::move(predecessor_report));
    pid_t pid = 0;
    try {
        pid = l->in_process ? start_in_process(l->req, *l->image) : spawn(l->req);
    } catch (...) {
        children_.erase(l->key);
        throw;
    }
    return commit(*l, pid);
}

void supervisor::start_or_schedule(const role_spec& role, std::uint32_t quick_deaths,
                                   clock::time_point now, std::uint32_t restarts,
                                   std::string predecessor_exit,
                                   std::optional<crash_report> predecessor_report) {
    try {
        start(role, 0, quick_deaths, restarts, predecessor_exit, predecessor_report);
    } catch (const std::exception& e) {
        retry_later(role, quick_deaths, now, restarts, std::move(predecessor_exit),
                    std::move(predecessor_report), e.what());
    }
}

void supervisor::start_due(clock::time_point now) {
    // The due ones in the order they were queued, for at most start_budget: the rest
    // stays due, and the loop serves its sockets before the next turn starts more. The
    // in-process ones are prepared and sent to the fork server together at the end.
    std::vector<launch_ptr> batch;
    next_launch_key_ = -1;  // no launch is under way between two calls
    const auto until = clock::now() + start_budget;
    for (auto it = scheduled_.begin(); it != scheduled_.end() && clock::now() < until;) {
        if (it->due > now) {
            ++it;
            continue;
        }
        auto s = std::move(*it);
        it = scheduled_.erase(it);
        const auto* r = spec(s.role);
        if (r == nullptr || planned(s.role) >= target(s.role))
            continue;
        const auto at = it - scheduled_.begin();  // the calls below may push_back
        const auto& image = reload_.image ? *reload_.image : image_;
        if (std::holds_alternative<role_main>(r->entry) && batch.size() < max_fork_batch &&
            fork_server_for(image) != nullptr) {
            batch.push_back(prepare(*r, 0, s.quick_deaths, s.restarts,
                                    std::move(s.predecessor_exit),
                                    std::move(s.predecessor_report)));
        } else {
            start_or_schedule(*r, s.quick_deaths, now, s.restarts, s.predecessor_exit,
                              s.predecessor_report);
        }
        it = scheduled_.begin() + at;
    }
    start_batch(batch, now);
}

void supervisor::start_batch(std::vector<launch_ptr>& batch, clock::time_point now) {
    if (batch.empty())
        return;
    std::vector<const spawn_request*> requests;
    for (const auto& l : batch)
        requests.push_back(&l->req);
    auto* server = fork_server_for(*batch.front()->image);
    auto outcomes = server != nullptr ? server->start_all(requests)
                                      : std::vector<fork_server::outcome>(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto& l = *batch[i];
        if (outcomes[i].pid > 0) {
            ++forked_;
            commit(l, outcomes[i].pid);
            continue;
        }
        log::warn("could not fork a {} worker: {}; it starts by exec", l.role->name,
                  outcomes[i].error.empty() ? "the fork server is gone" : outcomes[i].error);
        try {
            ++execs_;
            commit(l, spawn(l.req));
        } catch (const std::exception& e) {
            abandon(l, now, e.what());
        }
    }
}

pid_t supervisor::start_in_process(const spawn_request& req, const program_image& image) {
    if (auto* server = fork_server_for(image)) {
        try {
            auto pid = server->start(req);
            ++forked_;
            return pid;
        } catch (const std::exception& e) {
            log::warn("could not fork a worker: {}; it starts by exec", e.what());
        }
    }
    ++execs_;
    return spawn(req);
}

fork_server* supervisor::fork_server_for(const program_image& image) {
    if (!config_.fork_server)
        return nullptr;
    // The server ran main() with the environment of its time and its program file: a
    // reload that changes either gets a new one.
    const auto key = std::pair{image.id(), env_generation_};
    if (forks_ && forks_key_ != key)
        forks_.reset();
    if (!forks_) {
        forks_key_ = key;
        // LD_BIND_NOW: the dynamic loader resolves every symbol once, in the server,
        // instead of each worker resolving (and copying the page of) each function it
        // calls first. The server unsets it at run() (code before run() sees it).
        auto env =
            merge_environment(worker_environment({"MOB_APP=" + config_.app,
                                                  fmt::format("MOB_KINGPIN_PID={}", ::getpid())}),
                              env_overrides_);
        if (std::getenv("LD_BIND_NOW") == nullptr) {
            env.emplace_back("LD_BIND_NOW=1");
            env.emplace_back("MOB_FORK_SERVER_BIND_NOW=1");  // ours: unset at run()
        }
        forks_ = std::make_unique<fork_server>(image, config_.argv, std::move(env));
        // Each worker started by exec while it loads costs as much as the server's own
        // start: worth waiting for it (briefly).
        return forks_->ready(fork_server::ready_wait) ? forks_.get() : nullptr;
    }
    return forks_->ready() ? forks_.get() : nullptr;
}

void supervisor::describe_fork_server(control::fork_server_status& s) const {
    s.forked = forked_;
    s.execs = execs_;
    if (!config_.fork_server) {
        s.state = "off";
    } else if (!forks_) {
        s.state = "starting";  // none yet: the first in-process worker starts it
    } else if (!forks_->broken().empty()) {
        s.state = "unused";
        s.note = forks_->broken();
    } else {
        s.state = forks_->known_ready() ? "ready" : "starting";
        s.pid = forks_->pid();
    }
}

}  // namespace mob::detail
