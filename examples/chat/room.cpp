// The room: it knows who is in it, welcomes each newcomer with the list, announces
// arrivals and departures to every process, and relays what members say to every user.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <vector>

#include "chat.hpp"

void room_main(mob::worker& w) {
    // Members by worker id. Handlers all run on the worker's one dispatcher thread, so
    // the map needs no lock; it is shared because the handlers outlive this function.
    auto members = std::make_shared<std::map<std::string, chat::presence>>();

    w.on<std::string>("join", [&w, members](const std::string& nick, const mob::message& m) {
        // The newcomer first learns who is here (to its worker id: only it gets this)...
        std::vector<chat::presence> here;
        for (const auto& [id, p] : *members)
            here.push_back(p);
        w.id(m.sender).send("welcome", here);
        // ...then every process learns of the newcomer.
        chat::presence p{nick, m.sender_role(), m.sender_pid(), true, members->size() + 1};
        (*members)[m.sender] = p;
        w.send("presence", p);  // every process, this one too
    });

    w.on<std::string>("leave", [&w, members](const std::string& nick, const mob::message& m) {
        members->erase(m.sender);
        w.send("presence",
               chat::presence{nick, m.sender_role(), m.sender_pid(), false, members->size()});
    });

    w.on<std::string>("say", [&w, members](const std::string& text, const mob::message& m) {
        auto it = members->find(m.sender);
        const auto nick = it != members->end() ? it->second.nick : m.sender;
        w.all("user").send("line", chat::line{nick, text});  // every user
    });

    // The room hears its own announcements too, since they go to every process: it keeps
    // the room's log.
    w.on<chat::presence>("presence", [](const chat::presence& p) {
        chat::say(fmt::format("room: {} {} ({} in the room)", p.nick, p.joined ? "joined" : "left",
                              p.members));
    });

    // Whatever no typed handler takes ends here, instead of being dropped.
    w.on_message([](const mob::message& m) {
        chat::say(fmt::format("room: no use for topic '{}' from {}", m.topic, m.sender));
    });
}
