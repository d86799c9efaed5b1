// How long a role's workers take per call of one method, and so whether its calls are
// fast enough to pipeline. Only calls a worker took while it was busy are timed, from its previous
// REPLY to theirs: that is the worker's own time per call, free of the hops and of the
// wake-up an idle process needs (which grow with the load, and would keep a loaded
// role looking slow). Times are averaged over windows of calls, because the broker
// reads a burst of REPLYs at one timestamp: most of a burst times 0, its first the rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace mob::detail {

class call_timing {
  public:
    using duration = std::chrono::nanoseconds;

    /// Calls under `fast` on average are fast; 0 makes none fast (never pipeline).
    explicit call_timing(duration fast) noexcept : fast_(fast) {}

    /// A busy worker took `took` to answer one call after its previous one.
    void add(duration took) noexcept {
        sum_ += took;
        // While pipelining is off, only probes are timed: a shorter window follows them.
        if (++count_ >= (fast() ? window : probe_window)) {
            mean_ = sum_ / count_;
            sum_ = duration::zero();
            count_ = 0;
        }
    }

    /// The last window's average is under the bound. Not yet timed counts as slow, so
    /// the first calls of a role spread over its idle workers.
    bool fast() const noexcept { return mean_ && *mean_ < fast_; }

    /// While calls are not known to be fast, one in `probe_every` that would wake an
    /// idle worker is pipelined anyway: that is how a method's calls get timed at
    /// all, and how one that was slow is seen to be fast again.
    bool probe() noexcept {
        if (fast_ <= duration::zero() || fast())
            return false;
        if (++since_probe_ < probe_every)
            return false;
        since_probe_ = 0;
        return true;
    }

    std::optional<duration> mean() const noexcept { return mean_; }

    static constexpr std::uint32_t window = 32;
    static constexpr std::uint32_t probe_window = 4;
    static constexpr std::uint32_t probe_every = 64;

  private:
    duration fast_;
    duration sum_{0};
    std::uint32_t count_ = 0;
    std::optional<duration> mean_;
    std::uint32_t since_probe_ = 0;
};

}  // namespace mob::detail
