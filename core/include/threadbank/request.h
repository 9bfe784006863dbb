#pragma once
/// @file request.h
/// @brief A request and its lifecycle.

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "threadbank/error.h"

namespace threadbank {

using RequestId = std::uint64_t;
inline constexpr RequestId NO_REQUEST = 0;
/// One attempt of one request: attempts count from 1.
using AttemptRef = std::pair<RequestId, std::uint8_t>;

/// @brief Lifecycle states. Order matters: the first three are live, the rest final.
enum class RequestStatus : std::uint8_t {
  PENDING = 0,  ///< queued, waiting for a worker
  ASSIGNED,     ///< handed to a worker, not yet started (a worker may hold a small prefetch)
  PROCESSING,   ///< the handler is running
  COMPLETED,
  FAILED,
  CANCELLED,
  TIMED_OUT,
};
inline constexpr int REQUEST_STATUS_COUNT = 7;

const char* request_status_name(RequestStatus status) noexcept;  ///< "pending", "timed-out", ...
bool request_status_from_name(const std::string& name, RequestStatus* out) noexcept;
inline bool is_final(RequestStatus s) noexcept { return s >= RequestStatus::COMPLETED; }

/// @brief The time of a step that has not happened. Not 0: a clock may read 0 (test mode's
/// manual clock starts there), and a step stamped then happened. The smallest int64, so
/// "latest of these stamps" is a plain max and an absent stamp never wins it.
inline constexpr std::int64_t NEVER_NS = std::numeric_limits<std::int64_t>::min();

/// @brief True when `at_ns` records a step that happened.
inline constexpr bool stamped(std::int64_t at_ns) noexcept {
  return at_ns != NEVER_NS;
}

/// @brief Per-status times with every step absent.
using StatusTimes = std::array<std::int64_t, REQUEST_STATUS_COUNT>;
inline constexpr StatusTimes no_status_times() noexcept {
  StatusTimes times{};
  for (auto& at : times) at = NEVER_NS;
  return times;
}

inline constexpr int MIN_PRIORITY = 0;
inline constexpr int MAX_PRIORITY = 10;
inline constexpr int DEFAULT_PRIORITY = 5;

/// @brief What the store keeps per request. Strings that repeat (task, bank, client) are
/// interned to small ids so a queued request stays small.
struct RequestRecord {
  RequestId id = NO_REQUEST;
  std::uint32_t task = 0;    ///< interned task id
  std::uint32_t bank = 0;    ///< bank index
  std::uint32_t client = 0;  ///< interned client id (0 = none)
  std::int32_t worker = -1;  ///< worker index inside the bank, -1 when none
  std::uint16_t action = 0;  ///< action index inside the bank's manifest
  std::int8_t priority = DEFAULT_PRIORITY;
  bool waiting_retry = false;  ///< PENDING but outside the queue until its backoff ends
  bool waiting_room = false;   ///< PENDING, accepted while the queue was full, not queued yet
  RequestStatus status = RequestStatus::PENDING;
  ErrorCode error = ErrorCode::OK;
  std::uint8_t attempts = 0;      ///< attempts started so far
  std::uint8_t max_attempts = 1;  ///< 1 + retries
  std::int64_t timeout_ns = 0;    ///< per attempt, 0 = none
  /// Time of the latest entry into each status (ns since epoch, NEVER_NS = never).
  StatusTimes at_ns = no_status_times();
  std::int64_t submitted_ns = 0;  ///< when it was accepted (date-range queries use this)
  std::int64_t enqueued_ns = 0;   ///< latest (re)queue time; aging counts from here
};

/// @brief A request as presented to callers (strings resolved).
struct RequestInfo {
  RequestId id = NO_REQUEST;
  std::string task;
  std::string bank;
  std::string client;
  int worker = -1;
  int priority = DEFAULT_PRIORITY;
  RequestStatus status = RequestStatus::PENDING;
  ErrorCode error = ErrorCode::OK;
  std::string error_message;
  int attempts = 0;
  int max_attempts = 1;
  StatusTimes at_ns = no_status_times();  ///< NEVER_NS for steps that did not happen
  std::int64_t submitted_ns = 0;
  std::int64_t finished_ns = NEVER_NS;  ///< NEVER_NS while live
};

}  // namespace threadbank
