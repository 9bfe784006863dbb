#include "threadbank/prefetch.h"

#include <algorithm>
#include <cmath>

namespace threadbank {
namespace {

// Weight of the newest attempt in the moving average: about the last eight count, so a
// change of workload moves the window within a few results.
constexpr double NEWEST_WEIGHT = 1.0 / 8;

}  // namespace

bool AdaptivePrefetch::record(std::int64_t duration_ns) noexcept {
  double sample = static_cast<double>(std::max<std::int64_t>(duration_ns, 0));
  mean_ns_ = mean_ns_ < 0 ? sample : mean_ns_ + NEWEST_WEIGHT * (sample - mean_ns_);
  // Results that arrive together measure as (nearly) nothing each: the window is capped.
  double fits = static_cast<double>(COVER_NS) / std::max(mean_ns_, 1.0);
  int window = static_cast<int>(std::min<double>(std::floor(fits), MAX_PREFETCH));
  if (window == window_) return false;
  window_ = window;
  return true;
}

}  // namespace threadbank
