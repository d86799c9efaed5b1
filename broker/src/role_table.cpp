#include "role_table.hpp"

namespace mob::detail {

role_table::role_table(const std::vector<role_spec>& roles) {
    slots_.reserve(roles.size());
    for (const auto& spec : roles)
        slots_.push_back(role_slot{&spec, spec.min});
}

std::optional<role_index> role_table::find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].name() == name)
            return static_cast<role_index>(i);
    }
    return std::nullopt;
}

role_slot* role_table::slot(std::string_view name) noexcept {
    auto i = find(name);
    return i ? &slots_[*i] : nullptr;
}

const role_slot* role_table::slot(std::string_view name) const noexcept {
    auto i = find(name);
    return i ? &slots_[*i] : nullptr;
}

std::uint32_t role_table::target(std::string_view name) const noexcept {
    const auto* s = slot(name);
    return s == nullptr ? 0 : s->target;
}

void role_table::describe(control::app_status& s) const {
    for (const auto& slot : slots_) {
        auto& rs = s.roles.emplace_back();
        rs.name = slot.name();
        rs.min = slot.spec->min;
        rs.max = slot.spec->max;
        rs.target = slot.target;
        rs.external = slot.spec->options.external;
    }
}

}  // namespace mob::detail
