// The original README's example app: 4 background workers and 2 HTTP front ends, their role
// functions and the typed method the back exports to the fronts.
#pragma once

#include <mob/worker.hpp>

#include <string>

void back_main(mob::worker& w);
void front_main(mob::worker& w);

namespace hello {
// A typed method: declared once, for the back that exports it and the fronts that call it.
inline constexpr mob::method<std::string(std::string)> shout{"shout"};
}  // namespace hello
