#include "threadbank/request_queue.h"

namespace threadbank {

void RequestQueue::push(int priority, RequestId id, std::int64_t now_ns) {
  levels_[static_cast<std::size_t>(priority)].push_back(Entry{id, now_ns});
  ++size_;
}

void RequestQueue::push_front(int priority, RequestId id, std::int64_t enqueued_ns) {
  levels_[static_cast<std::size_t>(priority)].push_front(Entry{id, enqueued_ns});
  ++size_;
}

int RequestQueue::best_level(std::int64_t now_ns) const noexcept {
  // Only the head of each level can win: inside a level the head has waited longest, so it
  // has the highest effective priority of its level. That keeps a pick O(levels).
  int best = -1;
  std::int64_t best_effective = 0;
  std::int64_t best_enqueued = 0;
  for (int level = MAX_PRIORITY; level >= MIN_PRIORITY; --level) {
    const auto& fifo = levels_[static_cast<std::size_t>(level)];
    if (fifo.empty()) continue;
    const Entry& head = fifo.front();
    std::int64_t waited = now_ns - head.enqueued_ns;
    std::int64_t effective = level + (aging_step_ns_ > 0 && waited > 0 ? waited / aging_step_ns_ : 0);
    if (best < 0 || effective > best_effective ||
        (effective == best_effective && head.enqueued_ns < best_enqueued)) {
      best = level;
      best_effective = effective;
      best_enqueued = head.enqueued_ns;
    }
  }
  return best;
}

RequestQueue::Entry RequestQueue::pop(int level) {
  auto& fifo = levels_[static_cast<std::size_t>(level)];
  Entry entry = fifo.front();
  fifo.pop_front();
  --size_;
  return entry;
}

}  // namespace threadbank
