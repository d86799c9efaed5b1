// Every example is documented twice: a README in its own folder (what it shows, how to
// run it, what you see) and one line in the top README's "Examples" list. A new example
// without them, or a list naming one that is gone, fails here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
    std::ifstream in{p};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::set<std::string> example_folders() {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(MOB_SOURCE_DIR "/examples")) {
        if (entry.is_directory())
            names.insert(entry.path().filename().string());
    }
    return names;
}

/// The README's "## Examples" section, up to the next "## " heading.
std::string examples_section() {
    const auto readme = read(MOB_SOURCE_DIR "/README.md");
    const auto start = readme.find("\n## Examples\n");
    if (start == std::string::npos)
        return {};
    const auto end = readme.find("\n## ", start + 1);
    return readme.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(examples_readme, every_example_has_a_readme_that_says_how_to_run_it_and_what_you_see) {
    for (const auto& name : example_folders()) {
        const auto readme = read(fs::path{MOB_SOURCE_DIR "/examples"} / name / "README.md");
        EXPECT_FALSE(readme.empty()) << "examples/" << name << " has no README.md";
        EXPECT_NE(readme.find("## Run it"), std::string::npos) << "examples/" << name;
        EXPECT_NE(readme.find("## What you see"), std::string::npos) << "examples/" << name;
    }
}

TEST(examples_readme, the_top_readme_lists_every_example_once) {
    const auto section = examples_section();
    ASSERT_FALSE(section.empty()) << "README.md has no '## Examples' section";
    const std::regex item{R"(\n- \[([A-Za-z0-9_.-]+)\]\(examples/([A-Za-z0-9_.-]+)\))"};
    std::set<std::string> listed;
    for (std::sregex_iterator it{section.begin(), section.end(), item}, end; it != end; ++it) {
        EXPECT_EQ((*it)[1], (*it)[2]) << "a link's text names another example";
        EXPECT_TRUE(listed.insert((*it)[2]).second) << (*it)[2] << " is listed twice";
    }
    EXPECT_EQ(listed, example_folders());
}

}  // namespace
