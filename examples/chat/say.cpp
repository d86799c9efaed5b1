// One line of output at once: the workers share one terminal.
#include <fmt/format.h>

#include <cstdio>

#include "chat.hpp"

namespace chat {

void say(const std::string& text) {
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

}  // namespace chat
