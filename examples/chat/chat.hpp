// The chat example's vocabulary: the roles, the values that travel between them and
// the topics they travel under. Every process includes it, so sender and receiver agree
// on each payload's type (a payload of another type comes back as bad_type).
//
//     topic      from -> to                  payload
//     join       member -> any("room")       std::string: the member's nick
//     welcome    room -> id(newcomer)        std::vector<chat::presence>: who is here
//     presence   room -> every process       chat::presence: someone joined or left
//     say        member -> any("room")       std::string: a line for the room
//     line       room -> all("user")         chat::line: a line, with who said it
//     whisper    member -> pid(p)            std::string: for one member only
//     leave      member -> any("room")       std::string: the member's nick
#pragma once

#include <mob/worker.hpp>

#include <cstdint>
#include <string>

namespace chat {

/// Someone joined or left the room, as the room announces it.
struct presence {
    std::string nick;
    std::string role;  ///< "user" or "visitor"
    std::int64_t pid = 0;
    bool joined = true;
    std::uint64_t members = 0;  ///< how many are in the room after it

    template <class Archive>
    void serialize(Archive& ar) {
        ar(nick, role, pid, joined, members);
    }
};

/// A line said in the room, relayed by the room to every user.
struct line {
    std::string nick;
    std::string text;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(nick, text);
    }
};

/// Prints one line of the example's output at once (workers share the terminal).
void say(const std::string& text);

}  // namespace chat

/// The room: one worker, which holds who is in it (state lives in a single-worker role).
void room_main(mob::worker& w);

/// A member who stays until the app stops (role "user").
void user_main(mob::worker& w);

/// A member who joins, says one line once it has met `users` users, and leaves
/// (role "visitor", not restarted).
void visitor_main(mob::worker& w, std::uint64_t users);
