#include "systemd_notify.hpp"

#include "mob/log.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace mob::detail {

namespace {
/// CLOCK_MONOTONIC in microseconds: what RELOADING=1 carries as MONOTONIC_USEC.
std::uint64_t monotonic_usec() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

/// A STATUS= value is one line.
std::string one_line(std::string_view text) {
    std::string out{text};
    for (char& c : out) {
        if (c == '\n')
            c = ' ';
    }
    return out;
}
}  // namespace

systemd_notifier::systemd_notifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && *socket != '\0';
    if (!enabled_)
        return;
    std::uint64_t usec = 0;
    // > 0 when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process.
    if (::sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_ = std::chrono::microseconds{usec};
        next_ping_ = clock::now();  // the first ping on the loop's first turn
        log::info("systemd watchdog: every {} ms, pinged every {} ms from the loop", usec / 1000,
                  usec / 2000);
    }
}

void systemd_notifier::send(const std::string& state) {
    if (!enabled_)
        return;
    int r = ::sd_notify(0, state.c_str());
    if (r < 0 && !failed_) {
        failed_ = true;
        log::warn("sd_notify to {} failed: {} (further failures not logged)",
                  std::getenv("NOTIFY_SOCKET") != nullptr ? std::getenv("NOTIFY_SOCKET") : "?",
                  std::strerror(-r));
    }
}

void systemd_notifier::ready(std::string_view status) {
    if (!enabled_)
        return;
    last_status_ = one_line(status);
    send(fmt::format("READY=1\nSTATUS={}", last_status_));
}

void systemd_notifier::reloading(std::string_view status) {
    if (!enabled_)
        return;
    last_status_ = one_line(status);
    send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", monotonic_usec(), last_status_));
}

void systemd_notifier::stopping(std::string_view status) {
    if (!enabled_)
        return;
    last_status_ = one_line(status);
    send(fmt::format("STOPPING=1\nSTATUS={}", last_status_));
}

void systemd_notifier::status(std::string_view status) {
    if (!enabled_)
        return;
    auto line = one_line(status);
    if (line == last_status_)
        return;
    last_status_ = std::move(line);
    send("STATUS=" + last_status_);
}

void systemd_notifier::tick(clock::time_point now) {
    if (now < next_ping_)
        return;
    send("WATCHDOG=1");
    next_ping_ = now + std::chrono::duration_cast<clock::duration>(watchdog_ / 2);
}

}  // namespace mob::detail
