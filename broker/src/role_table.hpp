// The app's roles, each with its bounds and its target count written in one place:
// the supervisor keeps `target` workers running and the broker calls a role full when
// that many are ready, both reading this table (scaling and a worker not restarted by
// its policy change the target here, and only here).
#pragma once

#include "broker_types.hpp"
#include "mob/app.hpp"
#include "mob/control.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mob::detail {

struct role_slot {
    const role_spec* spec = nullptr;  ///< the app's definition (name, bounds, options)
    std::uint32_t target = 0;         ///< workers the kingpin keeps (starts at min)
    const std::string& name() const { return spec->name; }
};

class role_table {
  public:
    /// One slot per role of `roles`, which must outlive the table (the kingpin config's).
    explicit role_table(const std::vector<role_spec>& roles);

    /// A handful of roles: a scan compares in place, where a hash map would first copy
    /// the name into a std::string on every message.
    std::optional<role_index> find(std::string_view name) const noexcept;
    role_slot* slot(std::string_view name) noexcept;
    const role_slot* slot(std::string_view name) const noexcept;
    role_slot& operator[](role_index i) noexcept { return slots_[i]; }
    const role_slot& operator[](role_index i) const noexcept { return slots_[i]; }
    std::size_t size() const noexcept { return slots_.size(); }
    const std::vector<role_slot>& slots() const noexcept { return slots_; }

    /// The target of `name`, 0 for a role the app does not have.
    std::uint32_t target(std::string_view name) const noexcept;
    /// One role_status per role, in the app's order, with its name, bounds and target
    /// (the other parts fill in the rest).
    void describe(control::app_status& s) const;

  private:
    std::vector<role_slot> slots_;
};

/// Calls fn(line, entry) for each role's line of `s` (made by role_table::describe) with
/// its entry of `per_role`, a part's own per-role state in the table's order.
template <typename T, typename F>
void describe_roles(control::app_status& s, const std::vector<T>& per_role, F&& fn) {
    for (std::size_t i = 0; i < per_role.size() && i < s.roles.size(); ++i)
        fn(s.roles[i], per_role[i]);
}

}  // namespace mob::detail
