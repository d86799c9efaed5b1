#include "mob/identity.hpp"

#include <fmt/format.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <random>

namespace mob {

std::string local_hostname() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return std::string{buf.data()};
}

std::uint64_t random_nonce() {
    std::uint64_t v = 0;
    while (v == 0) {
        if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
            v = std::random_device{}();
            v = (v << 32) ^ std::random_device{}();
        }
    }
    return v;
}

std::string make_routing_id(std::string_view role, std::int64_t pid, std::string_view host,
                            std::uint64_t nonce) {
    // role <= 64, host <= 128: the whole id stays well under 255 bytes.
    return fmt::format("{}/{}@{}#{:016x}", role.substr(0, 64), pid, host.substr(0, 128), nonce);
}

bool valid_role_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64)
        return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

}  // namespace mob
