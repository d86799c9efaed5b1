// The shop's back role: real work, exported to the cluster. `factor` answers with a
// result; `primes_below` answers through a callback that runs in the caller.
#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "health.hpp"
#include "roles.hpp"

namespace shop {

namespace {

std::vector<std::uint64_t> prime_factors(std::uint64_t n) {
    if (n < 2)
        throw std::invalid_argument(fmt::format("{} has no prime factors", n));
    std::vector<std::uint64_t> out;
    for (std::uint64_t p = 2; p * p <= n; p += (p == 2 ? 1 : 2)) {
        while (n % p == 0) {
            out.push_back(p);
            n /= p;
        }
    }
    if (n > 1)
        out.push_back(n);
    return out;
}

std::uint64_t count_primes_below(std::uint64_t n) {
    if (n > primes_limit)
        throw std::invalid_argument(fmt::format("primes below {}: at most {}", n, primes_limit));
    if (n < 3)
        return 0;
    std::vector<bool> composite(n, false);
    std::uint64_t count = 0;
    for (std::uint64_t i = 2; i < n; ++i) {
        if (composite[i])
            continue;
        ++count;
        for (std::uint64_t j = i * i; j < n; j += i)
            composite[j] = true;
    }
    return count;
}

}  // namespace

void back_main(mob::worker& w) {
    health_port health{port_from_env("SHOP_HEALTH_PORT", 8081), w};

    w.export_fn(factor, [](std::uint64_t n) { return prime_factors(n); });

    // The answer comes back through the caller's callback, with who counted.
    w.export_fn("primes_below",
                [&w](std::uint64_t n, mob::callback<void(std::uint64_t, std::string)> done) {
                    done(count_primes_below(n), w.id());
                });

    fmt::print("back {} started (health port {})\n", w.id(), health.port());
    std::fflush(stdout);
    // Stays in the role function so the health port lives as long as the worker serves.
    w.ready();
    w.wait_until_stopping();
}

}  // namespace shop
