// The head of the chain: sends every request to enrich, a few at a time, each with a
// deadline, and sends again what failed. Sending again is safe because the chain is
// idempotent end to end; the broker itself runs a request again when the enrich worker
// serving it dies.
#include <fmt/format.h>

#include <deque>
#include <set>

#include "pipeline.hpp"

using namespace std::chrono_literals;

namespace {

struct in_flight {
    std::uint64_t id;
    int attempt;
    mob::call_future<std::string> result;
};

}  // namespace

void ingest_main(mob::worker& w) {
    w.ready();  // a role function that keeps running says so itself
    const auto s = pipeline::settings::from_env();
    const auto enrich = w.require("enrich").with({.timeout = 3s, .idempotent = true});
    constexpr std::size_t window = 4;  // requests in flight at once
    constexpr int attempts = 3;

    auto send = [&](std::uint64_t id, int attempt) {
        return in_flight{id, attempt,
                         enrich.call(pipeline::process, id, fmt::format("request {}", id))};
    };
    std::deque<in_flight> pending;
    std::uint64_t next = 1;
    std::uint64_t done = 0;
    while (!w.stopping() && (next <= s.requests || !pending.empty())) {
        while (pending.size() < window && next <= s.requests)
            pending.push_back(send(next++, 1));
        auto call = std::move(pending.front());
        pending.pop_front();
        auto r = call.result.get();  // every call has a deadline: this returns
        if (r) {
            ++done;
            pipeline::say(fmt::format("ingest: request {} done: {}", call.id, r.value()));
        } else if (call.attempt < attempts) {
            pipeline::say(fmt::format("ingest: request {} failed ({}): {}; sending it again",
                                      call.id, mob::to_string(r.error().code), r.error().message));
            pending.push_back(send(call.id, call.attempt + 1));
        } else {
            pipeline::say(
                fmt::format("ingest: request {} failed {} times; giving up", call.id, attempts));
        }
    }
    auto held = w.require("store").with({.timeout = 2s}).call(pipeline::summary).get();
    if (held) {
        pipeline::say(
            fmt::format("ingest: {} of {} requests done; the store holds {} records; repeated "
                        "writes ignored: {}",
                        done, s.requests, held.value().records, held.value().repeats));
    }
}
