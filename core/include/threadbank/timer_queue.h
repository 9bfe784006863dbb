#pragma once
/// @file timer_queue.h
/// @brief The engine's deadlines: retries ending their backoff, attempts' timeouts, and the
/// backstop for attempts a stuck worker never reports starting. Not thread-safe: the engine
/// guards it with its lock, as it does the request store.

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "threadbank/request.h"

namespace threadbank {

struct Timer {
  std::int64_t deadline_ns;
  RequestId request;
  std::uint8_t attempt;
  /// RETRY: a backoff ends. STARTED: an attempt's timeout, from its start. HELD: the
  /// backstop for an attempt handed to a worker that never reports starting it (a worker
  /// stuck in a handler before it could send the results that tell the host what began next).
  enum Kind : std::uint8_t { RETRY, STARTED, HELD } kind;
  bool operator>(const Timer& other) const { return deadline_ns > other.deadline_ns; }
};

/// @brief Timers by deadline. A timer is never removed early: one that no longer applies
/// (its request moved on) is recognised and skipped when it comes due.
class TimerQueue {
 public:
  /// @brief Adds `timer`; true when it is now the earliest (a sleeping timer thread must wake).
  bool add(const Timer& timer);
  /// @brief Removes and returns the earliest timer due at `now_ns`, if any.
  std::optional<Timer> pop_due(std::int64_t now_ns);
  /// @brief The earliest deadline, or -1 when there is none.
  std::int64_t next_deadline_ns() const;
  bool empty() const { return heap_.empty(); }
  /// @brief The requests with a retry timer pending (the shutdown sweep cancels them).
  std::vector<RequestId> retrying() const;

 private:
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> heap_;
};

}  // namespace threadbank
