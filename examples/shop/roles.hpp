// The shop: `back` workers do the work (factoring numbers, counting primes), `front`
// workers serve it over HTTP. One program serves both roles, by $MOB_ROLE, joining a
// mob-broker over TCP (docker/docker-compose.yml, deploy/kubernetes/).
#pragma once

#include <mob/worker.hpp>

#include <cstdint>
#include <vector>

namespace shop {

void back_main(mob::worker& w);
void front_main(mob::worker& w);

/// The prime factors of n, smallest first (n >= 2).
inline constexpr mob::method<std::vector<std::uint64_t>(std::uint64_t)> factor{"factor"};

/// The largest number primes_below counts up to: bounds a request's memory and time.
inline constexpr std::uint64_t primes_limit = 5'000'000;

}  // namespace shop
