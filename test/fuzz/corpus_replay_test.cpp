// Every input kept in test/fuzz/corpus (seeds made by make_seeds.cpp, and what the
// fuzzer found) runs through the fuzz target's entry in the ordinary build: a
// regression test of each, without clang. An input that breaks an invariant aborts
// the test, and the file's name is on stderr just before.
#include "broker_fuzz.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace {

std::vector<std::filesystem::path> corpus() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator{MOB_FUZZ_CORPUS})
        if (e.is_regular_file())
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

TEST(broker_fuzz_corpus, every_kept_input_runs_with_every_invariant_holding) {
    const auto files = corpus();
    ASSERT_GE(files.size(), 10u) << "the corpus " << MOB_FUZZ_CORPUS << " lost its seeds";
    for (const auto& f : files) {
        std::ifstream in{f, std::ios::binary};
        const std::vector<std::uint8_t> data{std::istreambuf_iterator<char>{in}, {}};
        std::fprintf(stderr, "replaying %s (%zu bytes)\n", f.filename().c_str(), data.size());
        mob::fuzz::run_broker_input(data);
    }
}

TEST(broker_fuzz_corpus, an_empty_input_and_a_cut_one_run_too) {
    mob::fuzz::run_broker_input({});
    const std::uint8_t cut[] = {3, 2};  // a CALL that ends after its peer byte
    mob::fuzz::run_broker_input(cut);
}

}  // namespace
