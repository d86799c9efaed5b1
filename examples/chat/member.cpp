// A member of the room: a user, who stays, or a visitor, who leaves. Both join, greet
// everyone they learn of with a whisper to that member's pid, and print what the room
// says; what they sent that comes back undelivered is reported with what it was.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <vector>

#include "chat.hpp"

namespace {

/// One member's state. Its handlers all run on the worker's one dispatcher thread, and
/// only they touch it: no lock. (They send from there too, so an error that comes back,
/// also handled there, always finds its send in `sent`.)
struct member {
    member(mob::worker& worker, std::uint64_t users)
        : w(worker), nick(fmt::format("{}-{}", w.role(), w.pid())), users_to_meet(users) {}

    mob::worker& w;
    const std::string nick;
    const std::uint64_t users_to_meet;  ///< a visitor leaves once it has met this many; 0: stay
    std::set<std::int64_t> met;         ///< pids of the users it has greeted
    std::map<std::uint64_t, std::string> sent;  ///< what each tracked send was, by seq
    bool left = false;
    std::size_t goodbyes_refused = 0;

    /// Sends and remembers what it was, so that on_error can say it if it comes back.
    void whisper(std::int64_t pid, const std::string& to, const std::string& kind,
                 const std::string& text) {
        sent[w.pid(pid).send("whisper", text)] = kind + " to " + to;
    }

    void meet(const chat::presence& p) {
        if (p.pid == w.pid() || left)
            return;
        whisper(p.pid, p.nick, "greeting", fmt::format("hi {}, this is {}", p.nick, nick));
        if (p.role == "user")
            met.insert(p.pid);
        if (users_to_meet > 0 && met.size() == users_to_meet)
            leave();
    }

    void leave() {
        w.any("room").send("say", std::string{"hello everyone, I cannot stay"});
        // From here on a whisper for this member fails (see the handler), so it comes
        // back to its sender.
        left = true;
        w.any("room").send("leave", nick);
        chat::say(fmt::format("{} leaves", nick));
    }

    /// A whisper after leaving. The process stays until it has turned away the goodbye
    /// of every user it met, so that each comes back to its sender; then it ends, and
    /// its role is `temporary`, so the kingpin does not bring it back. (A message that
    /// reaches a worker while it stops is dropped; one sent after it is gone comes back
    /// as unknown_pid.)
    void refuse(const std::string& text) {
        if (text.starts_with("bye") && ++goodbyes_refused == met.size())
            w.request_stop();
        throw std::runtime_error(nick + " has left the room");
    }
};

void member_main(mob::worker& w, std::uint64_t users_to_meet) {
    auto m = std::make_shared<member>(w, users_to_meet);

    // Typed handlers, one per topic: each payload decodes as the type named here.
    w.on<std::vector<chat::presence>>("welcome", [m](const std::vector<chat::presence>& here) {
        chat::say(fmt::format("{} is in the room with {} others", m->nick, here.size()));
        for (const auto& p : here)
            m->meet(p);
        // A role nobody runs: the message comes back (unknown_role).
        m->sent[m->w.all("moderators").send("report", m->nick + " joined")] =
            "report to moderators";
    });
    w.on<chat::presence>("presence", [m](const chat::presence& p) {
        if (p.pid == m->w.pid())
            return;
        chat::say(fmt::format("{} sees: {} {}", m->nick, p.nick, p.joined ? "joined" : "left"));
        if (p.joined) {
            m->meet(p);
        } else if (!m->left) {
            // It has left: this one comes back, whether its process is still ending
            // (its handler refuses it) or already gone (no worker has that pid).
            m->whisper(p.pid, p.nick, "goodbye", fmt::format("bye {}", p.nick));
        }
    });
    w.on<chat::line>("line", [m](const chat::line& l) {
        chat::say(fmt::format("{} heard {}: {}", m->nick, l.nick, l.text));
    });
    w.on<std::string>("whisper", [m](const std::string& text, const mob::message& msg) {
        if (m->left)
            m->refuse(text);
        chat::say(fmt::format("{} got a whisper from {}-{}: {}", m->nick, msg.sender_role(),
                              msg.sender_pid(), text));
    });
    w.on_error([m](const mob::send_error& e) {
        auto it = m->sent.find(e.seq);
        const auto what = it != m->sent.end() ? it->second : fmt::format("message {}", e.seq);
        chat::say(fmt::format("{}: {} came back ({}): {}", m->nick, what, mob::to_string(e.code),
                              e.message));
    });

    // Ready before joining: the room's announcements go to ready workers only.
    w.ready();
    w.any("room").send("join", m->nick);
}

}  // namespace

void user_main(mob::worker& w) {
    member_main(w, 0);
}

void visitor_main(mob::worker& w, std::uint64_t users) {
    member_main(w, users);
}
