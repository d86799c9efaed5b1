#include "log_output.hpp"

#include "mob/error.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

namespace mob::detail {

namespace {
void to_output(void* self, log::level l, std::string_view text) {
    static_cast<output_capture*>(self)->kingpin_line(l, text);
}

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}
}  // namespace

log_settings resolve_log_settings(const kingpin_config& config) {
    const auto& o = config.logs;
    log_settings s;
    s.app = config.app;
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    s.terminal = o.format.value_or(terminal ? log_format::pretty : log_format::plain);
    if (const char* f = env("MOB_LOG_FORMAT")) {
        auto parsed = parse_log_format(f);
        if (!parsed) {
            throw error(fmt::format("MOB_LOG_FORMAT is '{}', not one of pretty, plain, json", f));
        }
        s.terminal = *parsed;
    }
    // https://no-color.org: any value but empty turns colour off.
    s.colour = s.terminal == log_format::pretty && terminal && env("NO_COLOR") == nullptr;
    s.dir = o.dir;
    if (const char* d = env("MOB_LOG_DIR"))
        s.dir = d;
    s.per_role = o.per_role;
    s.rotate_bytes = o.rotate_bytes;
    s.keep = o.keep;
    return s;
}

log_output::log_output(const kingpin_config& config)
    : writer_(resolve_log_settings(config)),
      ring_(config.logs.ring_lines),
      capture_(writer_, ring_) {
    log::set_sink(to_output, &capture_);
}

log_output::~log_output() {
    log::set_sink(nullptr, nullptr);
}

}  // namespace mob::detail
