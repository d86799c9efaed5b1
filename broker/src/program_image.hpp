// Which program file the kingpin starts its in-process roles from. The path is resolved
// once, at start; the image is an open descriptor of the file it named then, so a
// revived worker runs the same code as its siblings even after a deploy has replaced
// the file, until a reload (or restart) opens the path again and starts the new code.
#pragma once

#include "unique_fd.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace mob::detail {

class program_image {
  public:
    /// The running program: its path (as /proc/self/exe names it now) and its file.
    static program_image running();
    /// The file at `path` now; throws mob::error if it is gone or not executable.
    static program_image open(const std::filesystem::path& path);

    program_image() = default;
    const std::filesystem::path& path() const { return path_; }
    /// For spawn_request::exe_fd; -1 if none is open (then exec the path).
    int fd() const { return fd_.get(); }
    /// Different for each image opened (running() or open()), kept when one is moved:
    /// the fork server started from an image serves only that one.
    std::uint64_t id() const { return id_; }

  private:
    std::filesystem::path path_;
    std::uint64_t id_ = 0;
    unique_fd fd_;
};

}  // namespace mob::detail
