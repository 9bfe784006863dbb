#pragma once
/// @file balancer.h
/// @brief Picks the worker inside a bank that runs the next request. Strategies are
/// interchangeable policies; the bank keeps the counters they read.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace threadbank {

enum class BalanceStrategy : std::uint8_t { LEAST_LOADED = 0, ROUND_ROBIN, FASTEST_EXPECTED };
const char* balance_strategy_name(BalanceStrategy s) noexcept;  ///< "least-loaded", ...
bool balance_strategy_from_name(const std::string& name, BalanceStrategy* out) noexcept;

/// @brief What a strategy may look at for one worker.
struct WorkerSlot {
  int inflight = 0;   ///< attempts assigned and not yet finished
  int capacity = 1;   ///< most attempts this worker may hold at once
  bool alive = true;  ///< false while the worker starts, or is replaced after a loss
  bool has_room() const noexcept { return alive && inflight < capacity; }
};

/// @brief A load-balancing policy. Not thread-safe: the engine calls it under its lock.
class Balancer {
 public:
  virtual ~Balancer() = default;
  /// @brief Index of the worker to use for `action`, or -1 when none has room.
  virtual int pick(const std::vector<WorkerSlot>& workers, std::uint32_t action) = 0;
  /// @brief Feeds back how long an attempt of `action` took on `worker`.
  virtual void record(int worker, std::uint32_t action, std::int64_t duration_ns) {
    (void)worker, (void)action, (void)duration_ns;
  }
  /// @brief Called when the bank's worker count changes.
  virtual void resize(int worker_count) { (void)worker_count; }
};

/// @brief Creates a strategy for a bank of `worker_count` workers.
/// @param estimated_ns per action, the manifest's estimate (seeds fastest-expected)
std::unique_ptr<Balancer> make_balancer(BalanceStrategy strategy, int worker_count,
                                        std::vector<std::int64_t> estimated_ns);

/// @brief How load was spread over a bank's workers (who did how much).
struct BalanceReport {
  std::string bank;
  BalanceStrategy strategy = BalanceStrategy::LEAST_LOADED;
  std::vector<std::uint64_t> assigned;  ///< attempts assigned, per worker
  std::vector<std::int64_t> busy_ns;    ///< time spent running, per worker
  /// max(assigned) / mean(assigned); 1.0 is a perfect spread, 0 when nothing ran.
  double imbalance = 0.0;
};

}  // namespace threadbank
