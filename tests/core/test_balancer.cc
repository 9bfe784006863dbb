// Each balancing strategy on its own.
#include <catch2/catch.hpp>

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
  for (auto s : {BalanceStrategy::LEAST_LOADED, BalanceStrategy::ROUND_ROBIN, BalanceStrategy::FASTEST_EXPECTED}) {
    BalanceStrategy parsed;
    REQUIRE(balance_strategy_from_name(balance_strategy_name(s), &parsed));
    CHECK(parsed == s);
  }
  BalanceStrategy parsed;
  CHECK_FALSE(balance_strategy_from_name("random", &parsed));
}
