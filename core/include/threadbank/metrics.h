#pragma once
/// @file metrics.h
/// @brief Snapshots of the system's and each worker's numbers. Units are in the names.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "threadbank/balancer.h"
#include "threadbank/request.h"
#include "threadbank/stats.h"

namespace threadbank {

enum class BankKind : std::uint8_t { NATIVE = 0, SCRIPT };
/// FAILING: its workers keep dying before they finish anything (see
/// EngineConfig::max_consecutive_deaths); it still takes work, and is ACTIVE again once a
/// worker finishes an attempt.
enum class BankStatus : std::uint8_t { ACTIVE = 0, PAUSED, DRAINING, STOPPED, FAILING };
constexpr int BANK_STATUS_COUNT = 5;
const char* bank_kind_name(BankKind kind) noexcept;        ///< "native", "script"
const char* bank_status_name(BankStatus status) noexcept;  ///< "active", ...

struct SystemMetrics {
  std::uint64_t total_requests = 0;  ///< accepted submissions
  std::uint64_t rejected = 0;        ///< submissions refused (queue full, bad input, ...)
  /// Requests that ended in each status (index: RequestStatus; live entries stay 0).
  std::array<std::uint64_t, REQUEST_STATUS_COUNT> finished{};
  std::uint64_t retries = 0;  ///< attempts beyond the first
  std::uint64_t pending = 0;  ///< queued now
  std::uint64_t waiting_for_room = 0;  ///< accepted while the queue was full, waiting to join it
  std::uint64_t in_flight = 0;  ///< assigned or processing now
  double success_rate = 1.0;  ///< completed / finished (1.0 before anything finished)
  /// How long attempts ran: the handler's time as its worker timed it (script workers
  /// report it), else from the attempt's start to its end.
  Percentiles processing;
  Percentiles queue_wait;     ///< time from (re)queue to assignment
  double current_load = 0.0;  ///< in-flight attempts / total worker capacity
  double throughput_per_s = 0.0;  ///< finished requests per second, last 10 s
  std::int64_t uptime_ms = 0;
  int worker_count = 0;
  int busy_workers = 0;
  std::size_t stored_requests = 0;  ///< live + history
};

struct WorkerStatus {
  std::string worker_id;  ///< "<bank>#<index>"
  std::string bank;
  int index = 0;
  BankKind kind = BankKind::NATIVE;
  bool alive = true;
  bool busy = false;
  int inflight = 0;
  int capacity = 1;
  std::uint64_t tasks_completed = 0;
  std::uint64_t tasks_failed = 0;  ///< attempts that ended in any error
  std::int64_t busy_ns = 0;
  std::int64_t idle_ns = 0;
  RequestId current_request = NO_REQUEST;
  std::string current_task;
  int restarts = 0;
};

struct BankInfo {
  std::string id;
  std::string name;  ///< the manifest's name
  BankKind kind = BankKind::NATIVE;
  BankStatus status = BankStatus::ACTIVE;
  int worker_count = 0;
  int concurrency = 0;  ///< current limit on in-flight attempts
  std::size_t queue_depth = 0;
  int in_flight = 0;
  BalanceStrategy strategy = BalanceStrategy::LEAST_LOADED;
  std::vector<std::string> actions;
};

}  // namespace threadbank
