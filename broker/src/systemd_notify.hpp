// What the kingpin tells systemd (sd_notify(3), through libsystemd): READY=1 when the app
// is first full, RELOADING=1 and READY=1 around a reload, STOPPING=1 when it begins to
// stop, a STATUS= line with the roles' counts whenever they change, and WATCHDOG=1 at half
// the interval systemd asked for (WATCHDOG_USEC). Sent from the kingpin's poll loop only,
// so a loop that is stuck stops pinging and systemd kills it. Without NOTIFY_SOCKET in
// the environment (not started by systemd) every call is a no-op. docs/systemd.md.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mob::detail {

class systemd_notifier {
  public:
    using clock = std::chrono::steady_clock;

    /// Reads NOTIFY_SOCKET and WATCHDOG_USEC / WATCHDOG_PID (sd_watchdog_enabled) once.
    systemd_notifier();

    /// Whether systemd listens (NOTIFY_SOCKET is set): callers build no status line
    /// otherwise.
    bool enabled() const { return enabled_; }
    /// The watchdog interval systemd asked for, 0 if none.
    std::chrono::microseconds watchdog_interval() const { return watchdog_; }

    /// READY=1 with a STATUS= line: the first time the app is full, and after a reload.
    void ready(std::string_view status);
    /// RELOADING=1 (with MONOTONIC_USEC, which Type=notify-reload wants) and STATUS=.
    void reloading(std::string_view status);
    /// STOPPING=1 and STATUS=.
    void stopping(std::string_view status);
    /// STATUS= alone, only if it differs from the last one sent.
    void status(std::string_view status);

    /// WATCHDOG=1 if half the interval passed since the last ping. Called on every turn
    /// of the kingpin's loop: that the loop turns is what the ping says.
    void tick(clock::time_point now);
    /// When tick() must run next (the loop's poll sleeps no longer); max() without a
    /// watchdog.
    clock::time_point next_deadline() const { return next_ping_; }

  private:
    void send(const std::string& state);

    bool enabled_ = false;
    bool failed_ = false;  ///< a send failed once: logged once, not on every ping
    std::chrono::microseconds watchdog_{0};
    clock::time_point next_ping_ = clock::time_point::max();
    std::string last_status_;
};

}  // namespace mob::detail
