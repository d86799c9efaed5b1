// Every C++ snippet in the README stands, word for word, in a program under examples/
// (in a source or a header), which the suite builds and runs
// (test/integration/hello_example_test.cpp): a README example that no longer compiles
// or runs fails here first.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read(const std::filesystem::path& p) {
    std::ifstream in{p};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The fenced blocks of `markdown` whose opening line is "```" + `language`.
std::vector<std::string> fenced_blocks(const std::string& markdown, const std::string& language) {
    std::vector<std::string> blocks;
    std::istringstream in{markdown};
    std::string line;
    std::string block;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside && line == "```" + language) {
            inside = true;
            block.clear();
        } else if (inside && line == "```") {
            inside = false;
            blocks.push_back(block);
        } else if (inside) {
            block += line + "\n";
        }
    }
    return blocks;
}

std::vector<std::string> cpp_blocks(const std::string& markdown) {
    return fenced_blocks(markdown, "cpp");
}

/// The text of every file under `dir` (recursively) whose extension is in `extensions`,
/// or of every file if `extensions` is empty.
std::vector<std::string> sources_under(const std::filesystem::path& dir,
                                       const std::vector<std::string>& extensions) {
    std::vector<std::string> sources;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file())
            continue;
        auto ext = entry.path().extension().string();
        if (extensions.empty() ||
            std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
            sources.push_back(read(entry.path()));
    }
    return sources;
}

TEST(readme, shows_the_two_quick_start_commands) {
    auto readme = read(MOB_SOURCE_DIR "/README.md");
    EXPECT_NE(readme.find("make demo"), std::string::npos);
    EXPECT_NE(readme.find("make test"), std::string::npos);
}

TEST(readme, every_cpp_snippet_is_taken_from_a_built_example) {
    auto blocks = cpp_blocks(read(MOB_SOURCE_DIR "/README.md"));
    ASSERT_GE(blocks.size(), 8u);
    // Headers too: a declaration both roles share (a mob::method) lives in one.
    auto sources = sources_under(MOB_SOURCE_DIR "/examples", {".cpp", ".hpp"});
    for (const auto& block : blocks) {
        bool found = false;
        for (const auto& source : sources)
            found = found || source.find(block) != std::string::npos;
        EXPECT_TRUE(found) << "this README snippet is in no file under examples/:\n" << block;
    }
}

// The "Use mob in your project" lines: each CMake or shell block is what a consumer
// test (test/consumer) builds with, so the README cannot drift from a build that works.
TEST(readme, every_build_snippet_is_taken_from_a_consumer_test) {
    auto readme = read(MOB_SOURCE_DIR "/README.md");
    auto sources = sources_under(MOB_SOURCE_DIR "/test/consumer", {});
    std::size_t checked = 0;
    for (const std::string language : {"cmake", "sh"}) {
        for (const auto& block : fenced_blocks(readme, language)) {
            ++checked;
            bool found = false;
            for (const auto& source : sources)
                found = found || source.find(block) != std::string::npos;
            EXPECT_TRUE(found) << "this README " << language
                               << " block is in no consumer test under test/consumer/:\n"
                               << block;
        }
    }
    // find_package, add_subdirectory, pkg-config.
    EXPECT_GE(checked, 3u);
    EXPECT_NE(readme.find("mob::broker mob::worker"), std::string::npos);
    EXPECT_NE(readme.find("C++20"), std::string::npos);
}

}  // namespace
