// Where a kingpin keeps its sockets: a private directory per app (mode 0700) under
// $MOB_RUNTIME_DIR, else $XDG_RUNTIME_DIR/mob, else /tmp/mob-UID. The kingpin locks
// it (flock on kingpin.pid), because an ipc bind unlinks an existing socket path and
// would silently steal a live kingpin's socket; mobctl finds apps here.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mob {

/// The directory holding one folder per running app.
std::filesystem::path runtime_root();

/// The folder of one app under `root`.
std::filesystem::path app_runtime_dir(const std::filesystem::path& root, std::string_view app);

/// An app's runtime directory, created and locked for as long as this object lives,
/// then removed. Throws mob::error if another live kingpin holds it.
class runtime_dir {
  public:
    runtime_dir(const std::filesystem::path& root, std::string_view app);
    ~runtime_dir();
    runtime_dir(const runtime_dir&) = delete;
    runtime_dir& operator=(const runtime_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    /// "ipc://DIR/NAME", checked against the ipc path length limit.
    std::string ipc_endpoint(std::string_view name) const;
    /// Closes the lock without removing anything (a child after fork).
    void release_in_child() noexcept;

  private:
    std::filesystem::path path_;
    int lock_fd_ = -1;
};

}  // namespace mob
