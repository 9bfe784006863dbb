#pragma once
/// @file events.h
/// @brief Lifecycle and status events, collected in the core and drained by a binding
/// in batches (one crossing per batch, never one per event).

#include <cstdint>

#include "threadbank/error.h"
#include "threadbank/request.h"

namespace threadbank {

enum class EventType : std::uint8_t {
  REQUEST_SUBMITTED = 0,
  REQUEST_ASSIGNED,
  REQUEST_STARTED,
  REQUEST_COMPLETED,
  REQUEST_FAILED,
  REQUEST_RETRIED,
  REQUEST_CANCELLED,
  REQUEST_TIMED_OUT,
  WORKER_STATUS,  ///< a worker went busy/idle, was lost or replaced
  BANK_STATUS,    ///< a bank was registered, paused, resumed, drained or stopped
  QUEUE_DRAIN,    ///< the queue was full and has room again
};
inline constexpr int EVENT_TYPE_COUNT = static_cast<int>(EventType::QUEUE_DRAIN) + 1;

/// @brief "request-submitted", "worker-status", ... (the names JS listeners use).
const char* event_type_name(EventType type) noexcept;
bool event_type_from_name(const char* name, EventType* out) noexcept;

inline constexpr std::uint32_t event_bit(EventType type) noexcept {
  return 1u << static_cast<unsigned>(type);
}
inline constexpr std::uint32_t ALL_EVENTS = (1u << EVENT_TYPE_COUNT) - 1;

/// @brief What a worker-status event reports.
enum class WorkerState : std::uint8_t { IDLE = 0, BUSY, LOST, REPLACED };
constexpr int WORKER_STATE_COUNT = 4;
const char* worker_state_name(WorkerState state) noexcept;

/// @brief One event. Plain data so a batch is a flat vector.
struct Event {
  EventType type = EventType::REQUEST_SUBMITTED;
  std::int64_t at_ns = 0;
  RequestId request = NO_REQUEST;  ///< for request events
  std::uint32_t bank = 0;          ///< bank index (request, worker and bank events)
  std::int32_t worker = -1;        ///< worker index inside the bank, -1 when none
  std::uint8_t attempt = 0;
  ErrorCode error = ErrorCode::OK;  ///< for failed / cancelled / timed-out / retried
  std::uint8_t state = 0;           ///< WorkerState or BankStatus, for status events
};

}  // namespace threadbank
