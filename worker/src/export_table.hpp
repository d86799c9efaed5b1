// The functions a worker exports, by name. Owned by the I/O thread: exports made from
// other threads reach it through the outbox, so a REQUEST finds its function without a
// lock, and READY lists the names.
#pragma once

#include "mob/detail/rpc_core.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mob::detail {

struct export_entry {
    std::string types;  ///< type name of the argument tuple
    std::function<void(const incoming_call&)> fn;
    bool on_io_thread = false;  ///< export_options::inline_call
};

class export_table {
  public:
    /// Adds or replaces `name`.
    void add(std::string name, std::shared_ptr<const export_entry> entry) {
        entries_[std::move(name)] = std::move(entry);
        changed_ = true;
    }
    std::shared_ptr<const export_entry> find(std::string_view name) const {
        auto it = entries_.find(name);
        return it == entries_.end() ? nullptr : it->second;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        out.reserve(entries_.size());
        for (const auto& [name, e] : entries_)
            out.push_back(name);
        return out;
    }
    /// Whether an export came since the last call (READY must say it again).
    bool take_changed() noexcept { return std::exchange(changed_, false); }

  private:
    std::map<std::string, std::shared_ptr<const export_entry>, std::less<>> entries_;
    bool changed_ = false;
};

}  // namespace mob::detail
