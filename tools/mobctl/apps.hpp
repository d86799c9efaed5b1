// The apps of a runtime directory: one folder per app, whose kingpin.pid the live
// kingpin holds locked (mob/runtime_dir.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mob::ctl {

/// The names of the app folders under `root`, sorted; none if `root` is missing.
std::vector<std::string> app_names(const std::filesystem::path& root);

/// Whether a live kingpin holds `app_dir`/kingpin.pid locked.
bool kingpin_alive(const std::filesystem::path& app_dir);

/// The pid written in `app_dir`/kingpin.pid, or 0.
std::int64_t recorded_pid(const std::filesystem::path& app_dir);

/// "the kingpin of 'APP' is not running".
std::string not_running(const std::string& app);

/// The folder of `app` under `root`, whose kingpin is alive. Throws failure
/// unknown_app if there is no such folder, dead_kingpin if its kingpin is gone.
std::filesystem::path live_app_dir(const std::filesystem::path& root, const std::string& app);

}  // namespace mob::ctl
