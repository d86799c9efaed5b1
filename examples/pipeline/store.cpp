// The end of the chain: the records, by request id. It makes a repeated write harmless,
// which is what lets every call before it be run again.
#include <fmt/format.h>

#include <map>
#include <memory>

#include "pipeline.hpp"

void store_main(mob::worker& w) {
    struct records {
        std::map<std::uint64_t, std::string> by_id;
        std::uint64_t repeats = 0;
    };
    // Exports run on the worker's one dispatcher thread, one at a time: no lock.
    auto held = std::make_shared<records>();
    w.export_fn(pipeline::put, [held](std::uint64_t id, const std::string& record) {
        auto [it, first] = held->by_id.try_emplace(id, record);
        if (!first) {
            ++held->repeats;
            pipeline::say(fmt::format("store: request {} written again; kept the first write", id));
        }
        return it->second;
    });
    w.export_fn(pipeline::summary, [held] {
        return pipeline::store_summary{held->by_id.size(), held->repeats};
    });
}
