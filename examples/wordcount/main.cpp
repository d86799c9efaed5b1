// A map-reduce over processes: `mob-wordcount FILE` counts the words of FILE (default:
// sample.txt beside the sources), with one front splitting and merging and 2 to 8 backs
// counting. `mobctl scale wordcount back N` while it runs changes its speed, not its
// answer (examples/wordcount/README.md).
#include <mob/app.hpp>

#include <filesystem>
#include <string>

#include "wordcount.hpp"

int main(int argc, char** argv) {
    // Read before run(): the process title is written over argv. Absolute, so that it
    // means the same file in every worker.
    const auto text_file =
        std::filesystem::absolute(argc > 1 ? argv[1] : WORDCOUNT_SAMPLE).string();
    return mob::app("wordcount")
        .role("front", [&text_file](mob::worker& w) { front_main(w, text_file); })
        .role("back", back_main, {.min = 2, .max = 8})
        .run(argc, argv);
}
