// docs/mobctl.md shows what mobctl prints for the hello example (app "myapp",
// examples/hello): this runs every command of the blocks marked as checked against that
// example and compares each output with the doc's, shape for shape: the same lines, the
// same columns, the same words, with what varies from run to run masked (numbers, times,
// sizes, paths; the doc's machine is called "vm").
#include <gtest/gtest.h>
#include <unistd.h>

#include <mob/control.hpp>

#include <fstream>
#include <sstream>

#include "mobctl_support.hpp"

namespace mob::test {
namespace {

const std::string marker =
    "<!-- checked against examples/hello by test/integration/mobctl_doc_test.cpp -->";

struct documented {
    std::string command;              ///< "mobctl status myapp"
    std::vector<std::string> output;  ///< the lines the doc shows under it
};

/// The commands and outputs of the doc's checked blocks (indented by 4, "$ " before a
/// command).
std::vector<documented> checked_commands(const std::string& path) {
    std::ifstream in{path};
    std::vector<documented> out;
    bool in_block = false;
    bool armed = false;
    for (std::string line; std::getline(in, line);) {
        if (line == marker) {
            armed = true;
            continue;
        }
        if (in_block && !line.empty() && !line.starts_with("    ")) {
            in_block = false;
            armed = false;
        }
        if (!armed || (!in_block && line.empty()))
            continue;
        if (line.starts_with("    ")) {
            in_block = true;
            auto text = line.substr(4);
            if (text.starts_with("$ "))
                out.push_back({text.substr(2), {}});
            else if (!out.empty())
                out.back().output.push_back(text);
        } else if (line.empty() && in_block && !out.empty()) {
            out.back().output.push_back("");
        }
    }
    for (auto& d : out) {
        while (!d.output.empty() && d.output.back().empty())
            d.output.pop_back();
    }
    return out;
}

/// `line` with what varies masked and runs of blanks made one.
std::string shape(std::string line, const std::string& host) {
    if (!host.empty()) {
        static const std::regex special{"[.^$|()\\[\\]{}*+?\\\\-]"};
        auto escaped = std::regex_replace(host, special, "\\$&");
        line = std::regex_replace(line, std::regex{"(^|\\s)" + escaped + "(\\s|$)"}, "$1vm$2");
    }
    static const std::vector<std::pair<std::regex, std::string>> masks{
        {std::regex{"ipc://\\S+"}, "ENDPOINT"},
        {std::regex{"(^|\\s)/\\S+"}, "$1PATH"},
        {std::regex{"\\b\\d+(\\.\\d+)?s\\b|\\b\\d+m\\d+s\\b|\\b\\d+h\\d+m\\b|\\b\\d+d\\d+h\\b"},
         "T"},
        {std::regex{"\\b\\d+(\\.\\d+)?[KMG]\\b|\\b\\d+B\\b"}, "SIZE"},
        {std::regex{"\\d+(\\.\\d+)?"}, "N"},
        {std::regex{"\\s+"}, " "},
    };
    for (const auto& [pattern, with] : masks)
        line = std::regex_replace(line, pattern, with);
    return line;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

TEST(mobctl_doc, shows_the_real_output_of_the_hello_example) {
    auto docs = checked_commands(MOB_MOBCTL_DOC);
    ASSERT_GE(docs.size(), 5u) << "the checked blocks of " << MOB_MOBCTL_DOC;
    temp_dir dir;
    child_process app{{MOB_HELLO_APP}, {{"MOB_RUNTIME_DIR", dir.path()}, {"HELLO_PORT", "0"}}};
    ASSERT_TRUE(app.wait_for(full_line, 20s)) << app.output();
    // Every worker sampled once (CPU%, RSS), as the doc shows them.
    auto base = std::vector<std::string>{"--runtime-dir", dir.path()};
    ASSERT_TRUE(eventually(
        [&] {
            auto r = mobctl({"status", "myapp", "--json", "--runtime-dir", dir.path()});
            auto s = control::from_json<control::app_status>(r.out);
            if (s.workers.size() != 6)
                return false;
            for (const auto& w : s.workers) {
                if (w.rss_bytes == 0)
                    return false;
            }
            return true;
        },
        10s));
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    for (const auto& d : docs) {
        std::istringstream words{d.command};
        std::vector<std::string> args;
        for (std::string w; words >> w;)
            args.push_back(w);
        ASSERT_EQ(args.front(), "mobctl") << d.command;
        args.erase(args.begin());
        args.insert(args.end(), base.begin(), base.end());
        auto r = mobctl(args);
        EXPECT_EQ(r.code, 0) << d.command << "\n" << r.out;
        auto got = lines_of(r.out);
        std::vector<std::string> want_shape;
        std::vector<std::string> got_shape;
        for (const auto& l : d.output)
            want_shape.push_back(shape(l, ""));
        for (const auto& l : got)
            got_shape.push_back(shape(l, host));
        EXPECT_EQ(got_shape, want_shape) << "$ " << d.command << "\n" << r.out;
    }
}

}  // namespace
}  // namespace mob::test
