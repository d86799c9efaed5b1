// The middle of the chain: serves ingest's requests and calls the store. A worker
// killed here between its write and its answer is the case the chain must survive.
#include <fmt/format.h>

#include <cctype>
#include <thread>

#include "pipeline.hpp"

using namespace std::chrono_literals;

void enrich_main(mob::worker& w) {
    const auto s = pipeline::settings::from_env();
    // The store gets 1 s per write; a write that fails throws, and so fails the request.
    const auto store = w.require("store").with({.timeout = 1s, .idempotent = true});
    w.export_fn(pipeline::process, [&w, s, store](std::uint64_t id, const std::string& text) {
        std::string record;
        for (char c : text)
            record += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        record += fmt::format(" (enriched by {})", w.pid());
        const auto stored = store.call(pipeline::put, id, record).value();
        pipeline::say(fmt::format("enrich {} stored request {}", w.pid(), id));
        std::this_thread::sleep_for(s.work);  // stands for the rest of its work
        return stored;
    });
}
