// The broker fuzz target's one entry: libFuzzer calls it for each input
// (libfuzzer_main.cpp), and the g++ test suite calls it for each file of
// test/fuzz/corpus (corpus_replay_test.cpp), so every input ever kept is a regression
// test without clang. An input is a sequence of operations (fuzz_input.hpp): messages
// from a few peers, of arbitrary frames or built from fields the input chooses, and
// kingpin events (time passing, processes exiting, stops). A broken invariant aborts
// with a line on stderr saying which, so both drivers report it as a crash.
#pragma once

#include <cstdint>
#include <span>

namespace mob::fuzz {

/// Runs one input against a fresh broker (its ROUTER and the peers' DEALERs over
/// inproc, its clock the input's), then stops it and checks what it owes was paid.
void run_broker_input(std::span<const std::uint8_t> data);

}  // namespace mob::fuzz
