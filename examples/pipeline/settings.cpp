// The example's settings and output, shared by its three roles.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "pipeline.hpp"

namespace pipeline {

namespace {
std::uint64_t from_env(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    const auto n = v != nullptr ? std::strtoull(v, nullptr, 10) : 0;
    return n > 0 ? n : fallback;
}
}  // namespace

settings settings::from_env() {
    settings s;
    s.requests = pipeline::from_env("PIPELINE_REQUESTS", s.requests);
    s.work = std::chrono::milliseconds{
        pipeline::from_env("PIPELINE_WORK_MS", static_cast<std::uint64_t>(s.work.count()))};
    return s;
}

void say(const std::string& text) {
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

}  // namespace pipeline
