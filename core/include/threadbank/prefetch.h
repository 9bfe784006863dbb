#pragma once
/// @file prefetch.h
/// @brief How many attempts a script worker may hold beyond those it runs, when the bank
/// lets the engine decide (BankConfig::prefetch == AUTO_PREFETCH).
///
/// A worker that holds nothing more idles for a whole message round trip (tens of
/// microseconds) between tasks, which for tiny tasks is most of the time; one that holds a
/// lot keeps requests from whichever worker frees first, which for long tasks costs whole
/// task durations. So the window covers a fixed span of expected work: as many attempts as
/// fit in COVER_NS at the bank's measured duration per attempt. Tiny tasks get the maximum;
/// attempts over COVER_NS get none, as a bank of long tasks would be configured by hand.

#include <cstdint>

namespace threadbank {

/// BankConfig::prefetch value that asks for the adaptive window.
constexpr int AUTO_PREFETCH = -1;
/// The largest window, fixed or adaptive.
constexpr int MAX_PREFETCH = 64;

class AdaptivePrefetch {
 public:
  /// Expected work a worker may hold beyond what it runs. It must outlast the refill's trip:
  /// the worker sends a finished result up to a millisecond late (to share a message with
  /// the next ones, worker-runtime.ts FLUSH_BUDGET_MS), and the host answers only when it is
  /// scheduled, which on a machine whose cores the workers fill can take as long again. With
  /// 1 ms, poolifier's benchmark shape (~230 us tasks, as many workers as cores) kept 1.85-1.89
  /// of 2 cores busy, the workers running dry between refills; with 4 ms, 1.96-1.98.
  static constexpr std::int64_t COVER_NS = 4'000'000;
  /// Before any attempt has finished nothing is known: hold one more, as a fixed bank of
  /// long tasks would be safe with, and let the first results open the window.
  static constexpr int INITIAL_WINDOW = 1;

  int window() const noexcept { return window_; }
  /// @brief Feeds the duration of one finished attempt; true when the window changed.
  bool record(std::int64_t duration_ns) noexcept;

 private:
  double mean_ns_ = -1;  // moving average over attempts; < 0 until the first
  int window_ = INITIAL_WINDOW;
};

}  // namespace threadbank
