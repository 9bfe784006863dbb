#include "threadbank/balancer.h"

#include <limits>

namespace threadbank {
namespace {

/// Fewest attempts in flight wins; ties rotate so equal workers share work evenly
/// instead of worker 0 taking every request on an idle bank.
class LeastLoaded final : public Balancer {
 public:
  int pick(const std::vector<WorkerSlot>& workers, std::uint32_t) override {
    int best = -1;
    auto n = static_cast<int>(workers.size());
    for (int step = 0; step < n; ++step) {
      int i = (start_ + step) % n;
      const WorkerSlot& w = workers[static_cast<std::size_t>(i)];
      if (!w.has_room()) continue;
      if (best < 0 || w.inflight < workers[static_cast<std::size_t>(best)].inflight) best = i;
    }
    if (best >= 0) start_ = (best + 1) % n;
    return best;
  }

 private:
  int start_ = 0;
};

/// The next worker in turn that has room.
class RoundRobin final : public Balancer {
 public:
  int pick(const std::vector<WorkerSlot>& workers, std::uint32_t) override {
    auto n = static_cast<int>(workers.size());
    for (int step = 0; step < n; ++step) {
      int i = (next_ + step) % n;
      if (workers[static_cast<std::size_t>(i)].has_room()) {
        next_ = (i + 1) % n;
        return i;
      }
    }
    return -1;
  }

 private:
  int next_ = 0;
};

/// Lowest expected finish time: (inflight + 1) x the worker's moving average duration for
/// the action. A worker that never ran the action is assumed to take the manifest's
/// estimate, so new workers get tried rather than starved.
class FastestExpected final : public Balancer {
 public:
  FastestExpected(int worker_count, std::vector<std::int64_t> estimated_ns)
      : estimated_ns_(std::move(estimated_ns)) {
    resize(worker_count);
  }

  int pick(const std::vector<WorkerSlot>& workers, std::uint32_t action) override {
    int best = -1;
    double best_cost = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < workers.size(); ++i) {
      if (!workers[i].has_room()) continue;
      double cost = static_cast<double>(workers[i].inflight + 1) * expected(i, action);
      if (cost < best_cost) {
        best_cost = cost;
        best = static_cast<int>(i);
      }
    }
    return best;
  }

  void record(int worker, std::uint32_t action, std::int64_t duration_ns) override {
    auto& row = averages_[static_cast<std::size_t>(worker)];
    if (row.size() <= action) row.resize(action + 1, -1.0);
    double& average = row[action];
    // Exponential moving average: recent runs count most, old ones fade.
    constexpr double ALPHA = 0.2;
    average = average < 0 ? static_cast<double>(duration_ns)
                          : ALPHA * static_cast<double>(duration_ns) + (1 - ALPHA) * average;
  }

  void resize(int worker_count) override {
    averages_.resize(static_cast<std::size_t>(worker_count));
  }

 private:
  double expected(std::size_t worker, std::uint32_t action) const {
    const auto& row = averages_[worker];
    if (action < row.size() && row[action] >= 0) return row[action];
    double estimate = action < estimated_ns_.size() ? static_cast<double>(estimated_ns_[action]) : 0;
    return estimate > 0 ? estimate : 1.0;
  }

  std::vector<std::int64_t> estimated_ns_;
  std::vector<std::vector<double>> averages_;  // [worker][action], -1 = no sample yet
};

}  // namespace

std::unique_ptr<Balancer> make_balancer(BalanceStrategy strategy, int worker_count,
                                        std::vector<std::int64_t> estimated_ns) {
  switch (strategy) {
    case BalanceStrategy::ROUND_ROBIN: return std::make_unique<RoundRobin>();
    case BalanceStrategy::FASTEST_EXPECTED:
      return std::make_unique<FastestExpected>(worker_count, std::move(estimated_ns));
    case BalanceStrategy::LEAST_LOADED: break;
  }
  return std::make_unique<LeastLoaded>();
}

}  // namespace threadbank
