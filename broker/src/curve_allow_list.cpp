#include "curve_allow_list.hpp"

#include "mob/error.hpp"
#include "mob/log.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

namespace mob::detail {
namespace fs = std::filesystem;

namespace {
std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}
}  // namespace

curve_allow_list::curve_allow_list(fs::path dir) : dir_(std::move(dir)) {
    std::error_code ec;
    auto st = fs::status(dir_, ec);
    if (ec || st.type() == fs::file_type::not_found) {
        throw error(
            fmt::format("CURVE allow-list directory {} does not exist (make it, and put "
                        "the workers' NAME.pub files in it)",
                        dir_.string()));
    }
    if (st.type() != fs::file_type::directory) {
        throw error(
            fmt::format("CURVE allow-list {} is not a directory: give a directory of "
                        "NAME.pub files",
                        dir_.string()));
    }
    fs::directory_iterator it{dir_, ec};
    if (ec) {
        throw error(fmt::format("cannot read CURVE allow-list directory {}: {}", dir_.string(),
                                ec.message()));
    }
    seen_ = scan();
    load();
}

curve_allow_list::signature curve_allow_list::scan() const {
    signature sig;
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0)
        return sig;  // gone: an empty signature, and load() finds nothing
    sig.emplace_back(".", 0, mtime_ns(st));
    std::error_code ec;
    for (fs::directory_iterator it{dir_, ec}, end; !ec && it != end; it.increment(ec)) {
        // Edits in place change no directory time, so every file's own counts too.
        const auto& p = it->path();
        if (p.extension() != ".pub" || ::stat(p.c_str(), &st) != 0)
            continue;
        sig.emplace_back(p.filename().string(), static_cast<std::uintmax_t>(st.st_size),
                         mtime_ns(st));
    }
    std::sort(sig.begin(), sig.end());
    return sig;
}

void curve_allow_list::load() {
    std::map<curve::key, std::string> keys;
    std::error_code ec;
    fs::directory_iterator it{dir_, ec};
    if (ec) {
        if (!missing_logged_)
            log::error("CURVE allow-list {} unreadable ({}): admitting no key", dir_.string(),
                       ec.message());
        missing_logged_ = true;
        keys_.clear();
        return;
    }
    missing_logged_ = false;
    std::vector<fs::path> files;
    for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".pub")
            files.push_back(it->path());  // NAME.secret and anything else: not ours to read
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            auto k = curve::read_public_file(f);
            auto name = curve::key_name(f);
            auto [at, added] = keys.emplace(k, name);
            if (!added) {
                log::warn("CURVE allow-list: {} holds the same key as {}.pub: known as '{}'",
                          f.string(), at->second, at->second);
            }
        } catch (const std::exception& e) {
            log::warn("CURVE allow-list: skipping {}", e.what());
        }
    }
    keys_ = std::move(keys);
}

bool curve_allow_list::refresh() {
    try {
        auto now = scan();
        if (now == seen_)
            return false;
        seen_ = std::move(now);
        load();
    } catch (const std::exception& e) {
        // A directory changing under the scan (a file removed between readdir and
        // stat, say) is looked at again next time; the kingpin never dies of it.
        log::warn("CURVE allow-list {}: {} (keeping the keys read before)", dir_.string(),
                  e.what());
        seen_.clear();
        return false;
    }
    log::info("CURVE allow-list {} changed: {} key{} admitted", dir_.string(), keys_.size(),
              keys_.size() == 1 ? "" : "s");
    return true;
}

const std::string* curve_allow_list::find(const curve::key& k) const {
    auto it = keys_.find(k);
    return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace mob::detail
