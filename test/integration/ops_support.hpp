// What the production tests share: running mobctl as a user would, and putting a
// program file in place the way a deploy does (a copy beside it, then rename over it).
#pragma once

#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cluster.hpp"

namespace mob::test {

struct run_result {
    int code = -1;    ///< exit code; 128 + signal if killed; -1 if it did not end in time
    std::string out;  ///< stdout and stderr
};

/// Runs mobctl with `args` on the cluster's runtime directory; waits (bounded) for it
/// to end and for all its output.
inline run_result mobctl(const cluster& c, std::vector<std::string> args,
                         std::chrono::milliseconds timeout = 15s) {
    args.insert(args.begin(), MOB_MOBCTL);
    args.push_back("--runtime-dir");
    args.push_back(c.runtime_dir());
    child_process p{args};
    run_result r;
    auto status = p.wait_exit(timeout);
    p.wait_for(std::regex{"[^\\s\\S]"}, 2s);  // matches nothing: returns at end of output
    r.out = p.output();
    if (status)
        r.code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    return r;
}

/// Puts a copy of `from` at `to` atomically: a deploy.
inline void deploy(const std::filesystem::path& from, const std::filesystem::path& to) {
    namespace fs = std::filesystem;
    auto next = to;
    next += ".new";
    fs::copy_file(from, next, fs::copy_options::overwrite_existing);
    fs::permissions(next, fs::perms::owner_all);
    fs::rename(next, to);
}

}  // namespace mob::test
