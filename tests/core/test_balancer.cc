// Each balancing strategy on its own.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "threadbank/balancer.h"

using namespace threadbank;

namespace {

std::vector<WorkerSlot> slots(std::vector<int> inflight, int capacity = 2) {
  std::vector<WorkerSlot> out;
  for (int n : inflight) out.push_back(WorkerSlot{n, capacity, true});
  return out;
}

}  // namespace

TEST_CASE("least-loaded picks the worker with the fewest attempts in flight", "[balancer]") {
  auto b = make_balancer(BalanceStrategy::LEAST_LOADED, 3, {});
  CHECK(b->pick(slots({2, 0, 1}), 0) == 1);
  CHECK(b->pick(slots({1, 1, 0}), 0) == 2);
  CHECK(b->pick(slots({2, 2, 2}), 0) == -1);
  auto dead = slots({0, 1, 1});
  dead[0].alive = false;
  CHECK(b->pick(dead, 0) != 0);
}

TEST_CASE("round-robin cycles and skips full or dead workers", "[balancer]") {
  auto b = make_balancer(BalanceStrategy::ROUND_ROBIN, 3, {});
  auto s = slots({0, 0, 0});
  CHECK(b->pick(s, 0) == 0);
  CHECK(b->pick(s, 0) == 1);
  CHECK(b->pick(s, 0) == 2);
  CHECK(b->pick(s, 0) == 0);
  s[1].inflight = 2;
  CHECK(b->pick(s, 0) == 2);
  s[0].alive = false;
  CHECK(b->pick(s, 0) == 2);
  s[2].inflight = 2;
  CHECK(b->pick(s, 0) == -1);
}

TEST_CASE("fastest-expected prefers the worker that has been faster at that action", "[balancer]") {
  auto b = make_balancer(BalanceStrategy::FASTEST_EXPECTED, 2, {1'000'000, 1'000'000});
  for (int i = 0; i < 5; ++i) {
    b->record(0, 0, 10'000'000);
    b->record(1, 0, 1'000'000);
    b->record(0, 1, 1'000'000);
    b->record(1, 1, 10'000'000);
  }
  CHECK(b->pick(slots({0, 0}), 0) == 1);
  CHECK(b->pick(slots({0, 0}), 1) == 0);
  // Load counts: a busy fast worker can lose to an idle slow one.
  CHECK(b->pick(slots({0, 1}, 20), 0) == 1);
  CHECK(b->pick(slots({0, 15}, 20), 0) == 0);
  CHECK(b->pick(slots({2, 2}), 0) == -1);
}

TEST_CASE("strategy names round-trip", "[balancer]") {
  for (auto s : {BalanceStrategy::LEAST_LOADED, BalanceStrategy::ROUND_ROBIN,
                 BalanceStrategy::FASTEST_EXPECTED}) {
    BalanceStrategy parsed;
    REQUIRE(balance_strategy_from_name(balance_strategy_name(s), &parsed));
    CHECK(parsed == s);
  }
  BalanceStrategy parsed;
  CHECK_FALSE(balance_strategy_from_name("random", &parsed));
}

// ---------------------------------------------------------------------------------------
// Each strategy against full, dead and mixed-capacity workers; fastest-expected's moving
// average; names.

namespace {

WorkerSlot slot(int inflight, int capacity, bool alive = true) {
  return WorkerSlot{inflight, capacity, alive};
}

const BalanceStrategy ALL_STRATEGIES[] = {
    BalanceStrategy::LEAST_LOADED, BalanceStrategy::ROUND_ROBIN, BalanceStrategy::FASTEST_EXPECTED};

}  // namespace

TEST_CASE("WorkerSlot has room only when alive and under capacity", "[balancer]") {
  CHECK(slot(0, 1).has_room());
  CHECK(slot(2, 3).has_room());
  CHECK_FALSE(slot(1, 1).has_room());
  CHECK_FALSE(slot(4, 3).has_room());  // over capacity after a limit was lowered
  CHECK_FALSE(slot(0, 1, false).has_room());
  CHECK_FALSE(slot(0, 0).has_room());
}

TEST_CASE("every strategy returns -1 when no worker has room", "[balancer]") {
  for (BalanceStrategy strategy : ALL_STRATEGIES) {
    INFO(balance_strategy_name(strategy));
    auto b = make_balancer(strategy, 4, {1'000'000});
    CHECK(b->pick({slot(1, 1), slot(2, 2), slot(3, 3), slot(1, 1)}, 0) == -1);  // all full
    CHECK(b->pick({slot(0, 1, false), slot(0, 4, false), slot(0, 2, false), slot(0, 1, false)},
                  0) == -1);
    CHECK(b->pick({slot(1, 1), slot(0, 2, false), slot(5, 4), slot(0, 0)}, 0) ==
          -1);  // mixed reasons
    auto none = make_balancer(strategy, 0, {});
    CHECK(none->pick({}, 0) == -1);
  }
}

TEST_CASE("every strategy picks the only worker with room", "[balancer]") {
  for (BalanceStrategy strategy : ALL_STRATEGIES) {
    INFO(balance_strategy_name(strategy));
    auto b = make_balancer(strategy, 4, {1'000'000});
    for (int round = 0; round < 6; ++round) {
      CHECK(b->pick({slot(1, 1), slot(0, 3, false), slot(2, 3), slot(4, 4)}, 0) == 2);
    }
  }
}

TEST_CASE("least-loaded: the fewest in flight among workers with room",
          "[balancer][least-loaded]") {
  auto b = make_balancer(BalanceStrategy::LEAST_LOADED, 4, {});
  // Worker 0 has the fewest in flight but is dead; worker 3 is next but full.
  CHECK(b->pick({slot(0, 4, false), slot(3, 4), slot(2, 4), slot(1, 1)}, 0) == 2);
  // Capacity does not matter, only the count in flight.
  CHECK(b->pick({slot(3, 8), slot(2, 3), slot(4, 100), slot(5, 6)}, 0) == 1);
  CHECK(b->pick({slot(3, 4), slot(3, 4), slot(1, 4), slot(3, 4)}, 0) == 2);
  CHECK(b->pick({slot(0, 4), slot(3, 4), slot(1, 4), slot(3, 4)}, 0) == 0);
}

TEST_CASE("least-loaded follows the load as it changes", "[balancer][least-loaded]") {
  auto b = make_balancer(BalanceStrategy::LEAST_LOADED, 3, {});
  std::vector<WorkerSlot> workers = {slot(0, 2), slot(0, 2), slot(0, 2)};
  // Six picks fill every worker exactly to capacity whichever way ties are broken.
  for (int i = 0; i < 6; ++i) {
    int w = b->pick(workers, 0);
    REQUIRE(w >= 0);
    // Never a worker with more in flight than another that has room.
    for (const auto& other : workers) {
      if (other.has_room()) CHECK(workers[static_cast<std::size_t>(w)].inflight <= other.inflight);
    }
    ++workers[static_cast<std::size_t>(w)].inflight;
  }
  for (const auto& w : workers) CHECK(w.inflight == 2);
  CHECK(b->pick(workers, 0) == -1);
  workers[1].inflight = 1;  // one attempt finished on worker 1
  CHECK(b->pick(workers, 0) == 1);
}

TEST_CASE("round-robin: strict rotation that skips full and dead workers",
          "[balancer][round-robin]") {
  auto b = make_balancer(BalanceStrategy::ROUND_ROBIN, 4, {});
  std::vector<WorkerSlot> workers = {slot(0, 9), slot(0, 9), slot(0, 9), slot(0, 9)};
  std::vector<int> picks;
  for (int i = 0; i < 8; ++i) picks.push_back(b->pick(workers, 0));
  CHECK(picks == std::vector<int>{0, 1, 2, 3, 0, 1, 2, 3});
  // Load does not matter to round-robin: a busier worker still gets its turn.
  workers[0].inflight = 8;
  CHECK(b->pick(workers, 0) == 0);
  // Worker 2 is full: after 1 the turn passes over it to 3, and the rotation goes on from there.
  workers[2].inflight = 9;
  CHECK(b->pick(workers, 0) == 1);
  CHECK(b->pick(workers, 0) == 3);
  CHECK(b->pick(workers, 0) == 0);
  workers[2].inflight = 0;
  workers[1].alive = false;
  CHECK(b->pick(workers, 0) == 2);
  CHECK(b->pick(workers, 0) == 3);
  CHECK(b->pick(workers, 0) == 0);
  CHECK(b->pick(workers, 0) == 2);
}

TEST_CASE("round-robin over a bank that grows", "[balancer][round-robin]") {
  auto b = make_balancer(BalanceStrategy::ROUND_ROBIN, 2, {});
  std::vector<WorkerSlot> workers = {slot(0, 1), slot(0, 1)};
  CHECK(b->pick(workers, 0) == 0);
  CHECK(b->pick(workers, 0) == 1);
  workers.push_back(slot(0, 1));
  b->resize(3);
  std::set<int> picked;
  for (int i = 0; i < 3; ++i) picked.insert(b->pick(workers, 0));
  CHECK(picked == std::set<int>{0, 1, 2});  // every worker gets a turn per cycle
}

TEST_CASE("fastest-expected: lower moving-average duration wins, per action",
          "[balancer][fastest-expected]") {
  const std::int64_t ms = 1'000'000;
  auto b = make_balancer(BalanceStrategy::FASTEST_EXPECTED, 3, {5 * ms, 5 * ms});
  std::vector<WorkerSlot> idle = {slot(0, 4), slot(0, 4), slot(0, 4)};
  for (int i = 0; i < 10; ++i) {
    b->record(0, 0, 9 * ms);
    b->record(1, 0, 7 * ms);
    b->record(2, 0, 2 * ms);
    b->record(0, 1, 1 * ms);
    b->record(1, 1, 8 * ms);
    b->record(2, 1, 9 * ms);
  }
  CHECK(b->pick(idle, 0) == 2);
  CHECK(b->pick(idle, 1) == 0);
  // The fastest one full or dead: the next fastest with room.
  CHECK(b->pick({slot(0, 4), slot(0, 4), slot(4, 4)}, 0) == 1);
  CHECK(b->pick({slot(0, 4), slot(0, 4), slot(0, 4, false)}, 0) == 1);
  CHECK(b->pick({slot(0, 4), slot(4, 4), slot(0, 4, false)}, 0) == 0);
}

TEST_CASE("fastest-expected: recent durations outweigh old ones", "[balancer][fastest-expected]") {
  const std::int64_t ms = 1'000'000;
  auto b = make_balancer(BalanceStrategy::FASTEST_EXPECTED, 2, {5 * ms});
  std::vector<WorkerSlot> idle = {slot(0, 1), slot(0, 1)};
  for (int i = 0; i < 200; ++i) {
    b->record(0, 0, 5 * ms);
    b->record(1, 0, 1 * ms);
  }
  REQUIRE(b->pick(idle, 0) == 1);
  // Worker 1 has become slow. Over all 240 samples its mean is still ~4.2 ms (< 5 ms), but
  // a moving average follows the last 40 runs at 20 ms.
  for (int i = 0; i < 40; ++i) {
    b->record(0, 0, 5 * ms);
    b->record(1, 0, 20 * ms);
  }
  CHECK(b->pick(idle, 0) == 0);
}

TEST_CASE("fastest-expected: a worker's record for one action does not affect another",
          "[balancer][fastest-expected]") {
  const std::int64_t ms = 1'000'000;
  auto b = make_balancer(BalanceStrategy::FASTEST_EXPECTED, 2, {4 * ms, 4 * ms, 4 * ms});
  std::vector<WorkerSlot> idle = {slot(0, 1), slot(0, 1)};
  for (int i = 0; i < 20; ++i) {
    b->record(0, 2, 1 * ms);
    b->record(1, 2, 3 * ms);
    b->record(0, 1, 30 * ms);
    b->record(1, 1, 10 * ms);
  }
  CHECK(b->pick(idle, 2) == 0);
  CHECK(b->pick(idle, 1) == 1);
}

TEST_CASE("balance strategies have stable names", "[balancer]") {
  const std::vector<std::pair<BalanceStrategy, std::string>> names = {
      {BalanceStrategy::LEAST_LOADED, "least-loaded"},
      {BalanceStrategy::ROUND_ROBIN, "round-robin"},
      {BalanceStrategy::FASTEST_EXPECTED, "fastest-expected"}};
  for (const auto& [strategy, name] : names) {
    CHECK(std::string(balance_strategy_name(strategy)) == name);
    BalanceStrategy parsed = strategy == BalanceStrategy::ROUND_ROBIN
                                 ? BalanceStrategy::LEAST_LOADED
                                 : BalanceStrategy::ROUND_ROBIN;
    REQUIRE(balance_strategy_from_name(name, &parsed));
    CHECK(parsed == strategy);
  }
  BalanceStrategy parsed;
  CHECK_FALSE(balance_strategy_from_name("", &parsed));
  CHECK_FALSE(balance_strategy_from_name("least_loaded", &parsed));
  CHECK_FALSE(balance_strategy_from_name("LEAST-LOADED", &parsed));
}
