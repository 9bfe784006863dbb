#pragma once
/// @file request_queue.h
/// @brief A bank's queue: one FIFO per priority level, with aging so a low priority
/// request waiting long enough outranks fresh high-priority ones and is never starved.

#include <array>
#include <cstdint>
#include <deque>

#include "threadbank/request.h"

namespace threadbank {

class RequestQueue {
 public:
  struct Entry {
    RequestId id;
    std::int64_t enqueued_ns;
  };

  /// @param aging_step_ns waiting this long raises the effective priority by one (0: off)
  explicit RequestQueue(std::int64_t aging_step_ns = 0) : aging_step_ns_(aging_step_ns) {}

  void push(int priority, RequestId id, std::int64_t now_ns);
  /// @brief Puts a request back at the head of its level (a prefetched attempt that never
  /// started because its worker was lost keeps its place).
  void push_front(int priority, RequestId id, std::int64_t enqueued_ns);

  /// @brief Level whose head should run next at `now_ns`, or -1 when empty. Highest
  /// effective priority wins; ties go to the request that has waited longest.
  int best_level(std::int64_t now_ns) const noexcept;
  /// @brief Removes and returns the head of `level` (from best_level).
  Entry pop(int level);

  /// @brief Entries held, including ones made stale by cancellation (removed lazily).
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

 private:
  std::array<std::deque<Entry>, MAX_PRIORITY + 1> levels_;
  std::size_t size_ = 0;
  std::int64_t aging_step_ns_;
};

}  // namespace threadbank
