#include "threadbank/stats.h"

#include <algorithm>
#include <cmath>

namespace threadbank {

DurationStats::DurationStats(std::size_t window) { window_.reserve(window == 0 ? 1 : window); }

void DurationStats::add(std::int64_t duration_ns) {
  if (duration_ns < 0) duration_ns = 0;
  if (window_.size() < window_.capacity()) {
    window_.push_back(duration_ns);
  } else {
    window_[next_] = duration_ns;
    next_ = (next_ + 1) % window_.size();
  }
  ++total_count_;
  total_ns_ += duration_ns;
  double seconds = static_cast<double>(duration_ns) / 1e9;
  auto bucket = std::lower_bound(HISTOGRAM_BOUNDS_S.begin(), HISTOGRAM_BOUNDS_S.end(), seconds);
  if (bucket != HISTOGRAM_BOUNDS_S.end()) {
    ++buckets_[static_cast<std::size_t>(bucket - HISTOGRAM_BOUNDS_S.begin())];
  }
}

Percentiles DurationStats::percentiles() const {
  Percentiles out;
  if (window_.empty()) return out;
  std::vector<std::int64_t> sorted = window_;
  std::sort(sorted.begin(), sorted.end());
  auto rank = [&](double q) {
    // Nearest rank: the ceil(q * n)-th smallest sample.
    auto n = static_cast<double>(sorted.size());
    auto index = static_cast<std::size_t>(std::ceil(q * n));
    index = std::clamp<std::size_t>(index, 1, sorted.size()) - 1;
    return static_cast<double>(sorted[index]) / 1e6;
  };
  double sum = 0;
  for (auto value : sorted) sum += static_cast<double>(value);
  out.count = sorted.size();
  out.mean_ms = sum / static_cast<double>(sorted.size()) / 1e6;
  out.p50_ms = rank(0.50);
  out.p95_ms = rank(0.95);
  out.p99_ms = rank(0.99);
  out.max_ms = static_cast<double>(sorted.back()) / 1e6;
  return out;
}

std::array<std::uint64_t, HISTOGRAM_BOUNDS_S.size()> DurationStats::cumulative_buckets() const {
  auto out = buckets_;
  for (std::size_t i = 1; i < out.size(); ++i) out[i] += out[i - 1];
  return out;
}

void RateCounter::add(std::int64_t now_ns, std::uint64_t n) {
  std::int64_t second = now_ns / 1'000'000'000;
  Slot& slot = slots_[static_cast<std::size_t>(second) % slots_.size()];
  if (slot.second != second) {
    slot.second = second;
    slot.count = 0;
  }
  slot.count += n;
}

double RateCounter::per_second(std::int64_t now_ns) const {
  std::int64_t second = now_ns / 1'000'000'000;
  auto window = static_cast<std::int64_t>(slots_.size());
  std::uint64_t total = 0;
  for (const Slot& slot : slots_) {
    if (slot.second >= 0 && slot.second > second - window && slot.second <= second) total += slot.count;
  }
  return static_cast<double>(total) / static_cast<double>(window);
}

}  // namespace threadbank
