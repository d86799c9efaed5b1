#include "data_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace bench {
namespace {

/// Points per decade of 1/(1-q): enough for a smooth line, few enough to read.
constexpr int points_per_decade = 40;

std::ofstream open_data(const std::filesystem::path& file) {
    std::ofstream out{file};
    if (!out) {
        throw std::runtime_error(fmt::format("--data: cannot write {}", file.string()));
    }
    return out;
}

std::string name_of(const results& r) {
    return fmt::format("{}-{}w", transport_name(r.over), r.workers);
}

/// The percentile spectrum of `us`: from q = 0 (x = 1) on, in steps of a fortieth of a
/// decade of x = 1/(1-q), while the samples hold at least one beyond the q-quantile.
void write_spectrum(std::ostream& out, std::vector<double> us) {
    std::sort(us.begin(), us.end());
    const double n = static_cast<double>(us.size());
    for (int k = 0;; ++k) {
        const double x = std::pow(10.0, static_cast<double>(k) / points_per_decade);
        const double q = 1.0 - 1.0 / x;
        const auto i = static_cast<std::size_t>(q * n);
        if (i + 1 >= us.size()) {
            break;
        }
        out << fmt::format("{:.4f} {:.2f}\n", x, us[i]);
    }
}

void write_latency(const std::filesystem::path& file, const results& r, const options& o) {
    auto out = open_data(file);
    out << fmt::format("# round trips at one call in flight, {}: 1/(1-q), q-quantile in us\n",
                       name_of(r));
    bool first = true;
    for (std::size_t p = 0; p < path_count; ++p) {
        const auto& s = r.sides[p];
        // The default-credit rig's latency is the plain API's (both have credit 1 at one
        // call in flight), copied, not measured: drawn once.
        const bool copy = static_cast<path>(p) == path::mob_default && o.on(path::mob_plain);
        if (!o.measured[p] || copy || s.latency_us.size() < 2) {
            continue;
        }
        // Blocks are two blank lines apart; the header line names the block's path.
        out << fmt::format("{}\"{}\" \"us\"\n", first ? "" : "\n\n",
                           path_name(static_cast<path>(p)));
        first = false;
        write_spectrum(out, s.latency_us);
    }
}

void write_throughput(const std::filesystem::path& file, const results& r, const options& o) {
    auto out = open_data(file);
    out << fmt::format("# calls/s against calls in flight (the median round), {}\n", name_of(r));
    out << "window";
    for (std::size_t p = 0; p < path_count; ++p) {
        if (o.measured[p]) {
            out << fmt::format(" \"{}\"", path_name(static_cast<path>(p)));
        }
    }
    out << "\n";
    auto row = [&](std::size_t window, auto rate_of) {
        out << window;
        for (std::size_t p = 0; p < path_count; ++p) {
            if (o.measured[p]) {
                const double v = rate_of(r.sides[p]);
                out << (v > 0 ? fmt::format(" {:.0f}", v) : std::string{" NaN"});
            }
        }
        out << "\n";
    };
    row(1, [](const side& s) { return s.rate_one(); });
    for (std::size_t i = 0; i < o.windows.size(); ++i) {
        row(o.windows[i], [i](const side& s) { return s.rate(i); });
    }
}

}  // namespace

void write_data_files(const std::vector<results>& all, const options& o) {
    const std::filesystem::path dir{o.data_dir};
    std::filesystem::create_directories(dir);
    for (const auto& r : all) {
        write_latency(dir / fmt::format("latency-{}.dat", name_of(r)), r, o);
        write_throughput(dir / fmt::format("throughput-{}.dat", name_of(r)), r, o);
    }
}

}  // namespace bench
