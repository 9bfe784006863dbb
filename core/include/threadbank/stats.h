#pragma once
/// @file stats.h
/// @brief Duration statistics: exact percentiles over a sliding window of recent samples,
/// plus cumulative histogram buckets for Prometheus.

#include <array>
#include <cstdint>
#include <vector>

namespace threadbank {

struct Percentiles {
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::uint64_t count = 0;  ///< samples in the window
};

/// @brief Upper bounds (seconds) of the histogram buckets exposed to Prometheus.
inline constexpr std::array<double, 14> HISTOGRAM_BOUNDS_S = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30};

class DurationStats {
 public:
  explicit DurationStats(std::size_t window = 8192);
  void add(std::int64_t duration_ns);
  /// @brief Nearest-rank percentiles over the last `window` samples.
  Percentiles percentiles() const;

  std::uint64_t total_count() const noexcept { return total_count_; }
  double total_seconds() const noexcept { return static_cast<double>(total_ns_) / 1e9; }
  /// @brief Cumulative counts per HISTOGRAM_BOUNDS_S bound (Prometheus `le` semantics).
  std::array<std::uint64_t, HISTOGRAM_BOUNDS_S.size()> cumulative_buckets() const;

 private:
  std::vector<std::int64_t> window_;
  std::size_t next_ = 0;
  std::uint64_t total_count_ = 0;
  std::int64_t total_ns_ = 0;
  std::array<std::uint64_t, HISTOGRAM_BOUNDS_S.size()> buckets_{};  // non-cumulative
};

/// @brief Events per second over the last `window_s` whole seconds.
class RateCounter {
 public:
  explicit RateCounter(int window_s = 10) : slots_(static_cast<std::size_t>(window_s)) {}
  void add(std::int64_t now_ns, std::uint64_t n = 1);
  double per_second(std::int64_t now_ns) const;

 private:
  struct Slot {
    std::int64_t second = -1;
    std::uint64_t count = 0;
  };
  std::vector<Slot> slots_;
};

}  // namespace threadbank
