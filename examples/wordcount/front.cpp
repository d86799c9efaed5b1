// The front: splits the text into chunks, calls `count` on any back for each chunk (all
// at once: the broker queues what the backs cannot take yet), merges the partial counts
// that stream back through callbacks, and checks them against the calls' results.
#include <fmt/format.h>

#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>

#include "wordcount.hpp"

using namespace std::chrono_literals;

namespace {

std::vector<std::vector<std::string>> read_chunks(const std::string& path, std::size_t lines) {
    std::ifstream in{path};
    if (!in)
        throw mob::error("cannot read " + path);
    std::vector<std::vector<std::string>> chunks;
    for (std::string line; std::getline(in, line);) {
        if (chunks.empty() || chunks.back().size() == lines)
            chunks.emplace_back();
        chunks.back().push_back(line);
    }
    return chunks;
}

/// One round in progress. Callbacks and results arrive on the worker's dispatcher
/// thread while the role's thread waits, hence the lock; shared, because a late
/// callback may come after the round has given up.
struct round_state {
    std::mutex mutex;
    std::condition_variable changed;
    wordcount::word_counts total;
    std::uint64_t words_merged = 0;    ///< words in the partial counts merged so far
    std::uint64_t words_reported = 0;  ///< words the backs' results say they counted
    std::size_t results = 0;
    std::vector<std::string> errors;
    std::set<std::string> servers;  ///< the backs that served this round

    bool done(std::size_t calls) const {
        return !errors.empty() || (results == calls && words_merged == words_reported);
    }
};

/// Counts every chunk through the backs; the merged counts, or the errors.
std::shared_ptr<round_state> run_round(const mob::proxy& back,
                                       const std::vector<std::vector<std::string>>& chunks,
                                       std::size_t pieces) {
    auto round = std::make_shared<round_state>();
    for (const auto& chunk : chunks) {
        std::vector<mob::callback<void(wordcount::word_counts)>> partials;
        for (std::size_t i = 0; i < pieces; ++i) {
            partials.emplace_back([round](const wordcount::word_counts& part) {
                std::lock_guard lock{round->mutex};
                wordcount::merge(round->total, part);  // the reduce step, as partials come in
                round->words_merged += wordcount::total_words(part);
                round->changed.notify_all();
            });
        }
        back.call(wordcount::count, chunk, partials, [round](mob::result<std::uint64_t> r) {
            std::lock_guard lock{round->mutex};
            ++round->results;
            if (r) {
                round->words_reported += *r;
                round->servers.insert(r.served_by());
            } else {
                round->errors.push_back(r.error().message);
            }
            round->changed.notify_all();
        });
    }
    return round;
}

}  // namespace

void front_main(mob::worker& w, const std::string& text_file) {
    const auto s = wordcount::settings::from_env();
    const auto chunks = read_chunks(text_file, s.lines_per_chunk);
    // Each result names the back that served it, to show how many took part.
    const auto back = w.require("back").with({.timeout = 30s, .report_server = true});
    w.ready();

    for (int n = 1; !w.stopping(); ++n) {
        wordcount::say(
            fmt::format("round {} started: {} chunks of {}", n, chunks.size(), text_file));
        const auto start = std::chrono::steady_clock::now();
        auto round = run_round(back, chunks, s.pieces_per_chunk);
        std::unique_lock lock{round->mutex};
        const bool finished =
            round->changed.wait_for(lock, 60s, [&] { return round->done(chunks.size()); });
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        if (!finished || !round->errors.empty()) {
            wordcount::say(fmt::format("round {} failed: {}", n,
                                       finished ? round->errors.front() : "no answer within 60 s"));
        } else {
            wordcount::say(fmt::format("round {}: {} ({} ms, {} backs)", n,
                                       wordcount::digest(round->total), ms, round->servers.size()));
        }
        lock.unlock();
        w.wait_until_stopping(500ms);  // a pause between rounds, cut short by a stop
    }
}
