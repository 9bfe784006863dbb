#include "threadbank/timer_queue.h"

namespace threadbank {

bool TimerQueue::add(const Timer& timer) {
  bool earliest = heap_.empty() || timer.deadline_ns < heap_.top().deadline_ns;
  heap_.push(timer);
  return earliest;
}

std::optional<Timer> TimerQueue::pop_due(std::int64_t now_ns) {
  if (heap_.empty() || heap_.top().deadline_ns > now_ns) return std::nullopt;
  Timer timer = heap_.top();
  heap_.pop();
  return timer;
}

std::int64_t TimerQueue::next_deadline_ns() const {
  return heap_.empty() ? -1 : heap_.top().deadline_ns;
}

std::vector<RequestId> TimerQueue::retrying() const {
  auto copy = heap_;
  std::vector<RequestId> ids;
  while (!copy.empty()) {
    if (copy.top().kind == Timer::RETRY) ids.push_back(copy.top().request);
    copy.pop();
  }
  return ids;
}

}  // namespace threadbank
