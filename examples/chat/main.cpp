// A chat room over mob's messages: one room worker keeps the members, users stay, a
// visitor joins and leaves. Run it and watch the room (examples/chat/README.md).
#include <mob/app.hpp>

#include <cstdint>

#include "chat.hpp"

int main(int argc, char** argv) {
    constexpr std::uint64_t users = 2;
    return mob::app("chat")
        .role("room", room_main, {.workers = 1})
        .role("user", user_main, {.workers = users})
        // Leaving means exiting: `temporary` tells the kingpin not to bring it back.
        .role("visitor", [](mob::worker& w) { visitor_main(w, users); },
              {.workers = 1, .restart = mob::restart_policy::temporary})
        .run(argc, argv);
}
