// Counting, merging and printing words: the parts of the map-reduce that know nothing
// of processes.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "wordcount.hpp"

namespace wordcount {

word_counts count_words(const std::vector<std::string>& lines) {
    word_counts counts;
    for (const auto& line : lines) {
        std::string word;
        for (char c : line) {
            if (std::isalpha(static_cast<unsigned char>(c))) {
                word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            } else if (!word.empty()) {
                ++counts[word];
                word.clear();
            }
        }
        if (!word.empty())
            ++counts[word];
    }
    return counts;
}

void merge(word_counts& total, const word_counts& part) {
    for (const auto& [word, n] : part)
        total[word] += n;
}

std::uint64_t total_words(const word_counts& counts) {
    std::uint64_t total = 0;
    for (const auto& [word, n] : counts)
        total += n;
    return total;
}

std::string digest(const word_counts& counts) {
    std::vector<std::pair<std::string, std::uint64_t>> by_count{counts.begin(), counts.end()};
    // Most frequent first; ties in alphabetical order, so the digest is always the same.
    std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::string top;
    for (std::size_t i = 0; i < by_count.size() && i < 3; ++i)
        top += fmt::format("{}{} {}", i == 0 ? "" : ", ", by_count[i].first, by_count[i].second);
    return fmt::format("{} words, {} distinct; most frequent: {}", total_words(counts),
                       counts.size(), top);
}

namespace {
std::size_t from_env(const char* name, std::size_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr)
        return fallback;
    const auto n = std::strtoul(v, nullptr, 10);
    return n > 0 ? n : fallback;
}
}  // namespace

settings settings::from_env() {
    settings s;
    s.lines_per_chunk = wordcount::from_env("WORDCOUNT_LINES_PER_CHUNK", s.lines_per_chunk);
    s.pieces_per_chunk = wordcount::from_env("WORDCOUNT_PIECES_PER_CHUNK", s.pieces_per_chunk);
    s.piece_cost = std::chrono::milliseconds{
        wordcount::from_env("WORDCOUNT_PIECE_MS", static_cast<std::size_t>(s.piece_cost.count()))};
    return s;
}

void say(const std::string& text) {
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

}  // namespace wordcount
