#include "threadbank/clock.h"

#include <chrono>

namespace threadbank {
namespace {

std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SteadyClock::SteadyClock() {
  auto wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  epoch_offset_ns_ = wall_ns - steady_ns();
}

std::int64_t SteadyClock::now_ns() const noexcept {
  std::int64_t now = steady_ns() + epoch_offset_ns_;
  std::int64_t last = last_ns_.load(std::memory_order_relaxed);
  while (now > last && !last_ns_.compare_exchange_weak(last, now, std::memory_order_relaxed)) {
  }
  return now > last ? now : last;
}

}  // namespace threadbank
