#pragma once
/// @file clock.h
/// @brief Injected time. Production uses SteadyClock; test mode uses ManualClock so
/// timeouts and retry backoff are testable without sleeping.

#include <atomic>
#include <cstdint>

namespace threadbank {

/// @brief A monotonic clock whose readings are nanoseconds since the Unix epoch.
/// Monotonic so timers never run backwards; epoch-based so request timestamps can be
/// compared with dates given by users (query date ranges).
class Clock {
 public:
  virtual ~Clock() = default;
  /// @brief Current time in ns since the Unix epoch; never decreases.
  virtual std::int64_t now_ns() const noexcept = 0;
};

/// @brief Real time: std::chrono::steady_clock anchored to system_clock once at creation.
/// Readings never decrease across threads either: some platforms' per-thread clocks
/// disagree slightly (wasm pthreads each derive time from their own Web Worker), and a
/// duration measured from one thread to another must not come out negative.
class SteadyClock final : public Clock {
 public:
  SteadyClock();
  std::int64_t now_ns() const noexcept override;

 private:
  std::int64_t epoch_offset_ns_;
  mutable std::atomic<std::int64_t> last_ns_{0};
};

/// @brief Time that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  /// @param start_ns initial reading (ns since epoch)
  explicit ManualClock(std::int64_t start_ns = 0) : now_ns_(start_ns) {}
  std::int64_t now_ns() const noexcept override { return now_ns_.load(std::memory_order_acquire); }
  /// @brief Moves time forward by `delta_ns` (negative values are ignored).
  void advance_ns(std::int64_t delta_ns) noexcept {
    if (delta_ns > 0) now_ns_.fetch_add(delta_ns, std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::int64_t> now_ns_;
};

inline constexpr std::int64_t NS_PER_MS = 1'000'000;

}  // namespace threadbank
