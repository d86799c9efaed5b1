// The back: the map step. Any number of them (2 to 8) serve the front's calls; the
// broker gives each call to the least-recently-used back with credit free.
#include <fmt/format.h>

#include <thread>

#include "wordcount.hpp"

void back_main(mob::worker& w) {
    const auto s = wordcount::settings::from_env();
    w.export_fn(
        wordcount::count,
        [s](const std::vector<std::string>& lines,
            const std::vector<mob::callback<void(wordcount::word_counts)>>& partials) {
            // One piece per callback: each partial count goes back as soon as it is
            // ready, while the rest of the chunk is still being counted.
            std::uint64_t words = 0;
            const auto pieces = partials.size();
            for (std::size_t i = 0; i < pieces; ++i) {
                const auto from = lines.begin() + static_cast<long>(i * lines.size() / pieces);
                const auto to = lines.begin() + static_cast<long>((i + 1) * lines.size() / pieces);
                std::this_thread::sleep_for(s.piece_cost);  // stands for real work
                auto counts = wordcount::count_words({from, to});
                words += wordcount::total_words(counts);
                partials[i](counts);  // runs in the front's process
            }
            return words;  // the call's result: the front checks the partials against it
        });
    wordcount::say(fmt::format("back {} ready", w.pid()));
}
