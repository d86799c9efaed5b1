// The broker's allow-list: a directory of workers' public key files (NAME.pub, made by
// `mobctl keygen NAME`), the only keys the ZAP handler admits over CURVE. It is read
// again whenever the directory changes, as czmq's certificate store does, so a key
// added or removed takes effect without a restart: refresh() compares the directory's
// and its files' modification times and sizes with what it last read (a few stat(2)s,
// once a second from the kingpin's tick). Other files (NAME.secret above all) are
// skipped; a file that is not a good public key is skipped with a warning.
#pragma once

#include "mob/curve.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace mob::detail {

class curve_allow_list {
  public:
    /// Reads `dir`; throws mob::error if it is not a readable directory.
    explicit curve_allow_list(std::filesystem::path dir);

    /// Reads the directory again if it changed since; true if it did. Never throws: a
    /// directory that went away admits nobody (and says so once).
    bool refresh();
    /// The name of `k` ("alice" for alice.pub), or nullptr if it is not admitted.
    const std::string* find(const curve::key& k) const;
    std::size_t size() const noexcept { return keys_.size(); }
    const std::filesystem::path& dir() const noexcept { return dir_; }

  private:
    /// What refresh() compares: (name, size, mtime in ns) per file, and the directory's.
    using signature = std::vector<std::tuple<std::string, std::uintmax_t, std::int64_t>>;
    signature scan() const;
    void load();

    std::filesystem::path dir_;
    std::map<curve::key, std::string> keys_;
    signature seen_;
    bool missing_logged_ = false;
};

}  // namespace mob::detail
