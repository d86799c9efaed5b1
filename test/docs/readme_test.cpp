// Every C++ snippet in the README stands, word for word, in a program under examples/
// (in a source or a header), which the suite builds and runs
// (test/integration/hello_example_test.cpp): a README example that no longer compiles
// or runs fails here first.
#include <gtest/gtest.h>

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

std::vector<std::string> cpp_blocks(const std::string& markdown) {
    std::vector<std::string> blocks;
    std::istringstream in{markdown};
    std::string line;
    std::string block;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside && line == "```cpp") {
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

TEST(readme, shows_the_two_quick_start_commands) {
    auto readme = read(MOB_SOURCE_DIR "/README.md");
    EXPECT_NE(readme.find("make demo"), std::string::npos);
    EXPECT_NE(readme.find("make test"), std::string::npos);
}

TEST(readme, every_cpp_snippet_is_taken_from_a_built_example) {
    auto blocks = cpp_blocks(read(MOB_SOURCE_DIR "/README.md"));
    ASSERT_GE(blocks.size(), 8u);
    std::vector<std::string> sources;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(MOB_SOURCE_DIR "/examples")) {
        // Headers too: a declaration both roles share (a mob::method) lives in one.
        if (entry.path().extension() == ".cpp" || entry.path().extension() == ".hpp")
            sources.push_back(read(entry.path()));
    }
    for (const auto& block : blocks) {
        bool found = false;
        for (const auto& source : sources)
            found = found || source.find(block) != std::string::npos;
        EXPECT_TRUE(found) << "this README snippet is in no file under examples/:\n" << block;
    }
}

}  // namespace
