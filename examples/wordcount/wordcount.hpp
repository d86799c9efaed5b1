// The wordcount example's shared parts: how words are counted and merged, and the one
// method the back exports to the front, declared once for both.
#pragma once

#include <mob/worker.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace wordcount {

/// How many times each word occurs.
using word_counts = std::map<std::string, std::uint64_t>;

/// The map step, as a typed method: count the words of some lines, report the counts of
/// each piece of them through one callback per piece (a callback runs once, so one
/// partial count needs one callback), and return how many words there were in all.
inline constexpr mob::method<std::uint64_t(std::vector<std::string>,
                                           std::vector<mob::callback<void(word_counts)>>)>
    count{"count"};

/// Words are runs of ASCII letters, lowercased: "Don't stop" is "don", "t", "stop".
word_counts count_words(const std::vector<std::string>& lines);
/// The reduce step: adds `part` into `total`.
void merge(word_counts& total, const word_counts& part);
std::uint64_t total_words(const word_counts& counts);
/// "N words, D distinct; most frequent: w1 n1, w2 n2, w3 n3": the answer a round prints.
std::string digest(const word_counts& counts);

/// Settings from the environment, read the same way in every process.
struct settings {
    std::size_t lines_per_chunk = 5;           ///< $WORDCOUNT_LINES_PER_CHUNK
    std::size_t pieces_per_chunk = 4;          ///< $WORDCOUNT_PIECES_PER_CHUNK
    std::chrono::milliseconds piece_cost{20};  ///< $WORDCOUNT_PIECE_MS: stands for real work
    static settings from_env();
};

/// Prints one line of the example's output at once (workers share the terminal).
void say(const std::string& text);

}  // namespace wordcount

/// The back: exports wordcount::count. Its role has {.min = 2, .max = 8} workers.
void back_main(mob::worker& w);
/// The front: counts the words of `text_file` over and over, one round after another.
void front_main(mob::worker& w, const std::string& text_file);
