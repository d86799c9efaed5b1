// Keys made by the real `mobctl keygen` (MOB_MOBCTL), as a user makes them, and an
// allow-list directory to copy public keys into.
#pragma once

#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "child_process.hpp"

namespace mob::test {

/// A directory of keys: `mobctl keygen` for each name, and an allow-list `allow/`.
class key_dir {
  public:
    key_dir() { std::filesystem::create_directory(allow()); }
    std::string path() const { return dir_.path(); }
    std::string allow() const { return dir_.path() + "/allow"; }
    std::string secret(const std::string& name) const { return path() + "/" + name + ".secret"; }
    std::string pub(const std::string& name) const { return path() + "/" + name + ".pub"; }

    /// Runs `mobctl keygen NAME --dir DIR`; true if it exited 0.
    bool keygen(const std::string& name) {
        child_process p{{MOB_MOBCTL, "keygen", name, "--dir", path()}};
        auto status = p.wait_exit(10s);
        return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
    }
    /// Copies NAME.pub into the allow-list.
    void allow(const std::string& name) {
        std::filesystem::copy_file(pub(name), allow() + "/" + name + ".pub");
    }

  private:
    temp_dir dir_;
};

}  // namespace mob::test
