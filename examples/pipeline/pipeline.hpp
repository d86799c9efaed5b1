// The pipeline example's chain, declared once for every role: ingest calls enrich,
// enrich calls store. Each method is a mob::method, so the compiler checks the export
// and the calls against one signature.
#pragma once

#include <mob/worker.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace pipeline {

/// enrich: turns a request's text into its record, writes it to the store and returns
/// the record as stored. Safe to run twice for one id (the store keeps the first write),
/// so callers mark it idempotent.
inline constexpr mob::method<std::string(std::uint64_t, std::string)> process{"process"};

/// store: writes `record` under request `id` unless it holds one already; returns the
/// record it holds. A repeated write changes nothing: exactly once in effect.
inline constexpr mob::method<std::string(std::uint64_t, std::string)> put{"put"};

/// What the store holds: how many records, and how many writes it ignored as repeats.
struct store_summary {
    std::uint64_t records = 0;
    std::uint64_t repeats = 0;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(records, repeats);
    }
};
inline constexpr mob::method<store_summary()> summary{"summary"};

/// Settings from the environment, read the same way in every process.
struct settings {
    std::uint64_t requests = 20;          ///< $PIPELINE_REQUESTS
    std::chrono::milliseconds work{200};  ///< $PIPELINE_WORK_MS: enrich's work after the write
    static settings from_env();
};

/// Prints one line of the example's output at once (workers share the terminal).
void say(const std::string& text);

}  // namespace pipeline

void ingest_main(mob::worker& w);
void enrich_main(mob::worker& w);
void store_main(mob::worker& w);
