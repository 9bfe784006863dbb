// Priority order, FIFO, aging, queue bound, concurrency limits, pause/resume.
#include <catch2/catch.hpp>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::Harness;

TEST_CASE("higher priorities run first, FIFO inside a priority", "[scheduler]") {
  Harness h;
  h.bank("b", 1, {action("t")});
  RequestId blocker = h.submit("t");
  std::vector<std::pair<RequestId, int>> queued;
  for (int p : {2, 9, 5, 9, 2, 0, 10}) queued.emplace_back(h.submit("t", p), p);
  Dispatch first = h.take();
  REQUIRE(first.request == blocker);
  h.finish(first);
  std::vector<RequestId> order;
  for (int i = 0; i < 7; ++i) {
    Dispatch d = h.take();
    order.push_back(d.request);
    h.finish(d);
  }
  // Expected: 10, 9 (first), 9 (second), 5, 2 (first), 2 (second), 0.
  std::vector<RequestId> expected = {queued[6].first, queued[1].first, queued[3].first, queued[2].first,
                                     queued[0].first, queued[4].first, queued[5].first};
  CHECK(order == expected);
}

TEST_CASE("aging lets a long-waiting low priority outrank fresh high priorities", "[scheduler]") {
  EngineConfig config;
  config.aging_step_ms = 100;
  Harness h(config);
  h.bank("b", 1, {action("t")});
  RequestId blocker = h.submit("t");
  RequestId low = h.submit("t", 2);
  h.advance_ms(500);  // low has waited 5 steps: effective priority 7
  RequestId high = h.submit("t", 6);
  Dispatch d = h.take();
  REQUIRE(d.request == blocker);
  h.finish(d);
  CHECK(h.take().request == low);
  (void)high;

  SECTION("without aging the high priority goes first") {
    EngineConfig off;
    off.aging_step_ms = 0;
    Harness g(off);
    g.bank("b", 1, {action("t")});
    RequestId blocker2 = g.submit("t");
    g.submit("t", 2);
    g.advance_ms(500);
    RequestId high2 = g.submit("t", 6);
    Dispatch d2 = g.take();
    REQUIRE(d2.request == blocker2);
    g.finish(d2);
    CHECK(g.take().request == high2);
  }
}

TEST_CASE("the queue bound rejects with E_QUEUE_FULL and a drain event follows", "[scheduler]") {
  EngineConfig config;
  config.max_queue = 10;
  Harness h(config);
  h.bank("b", 1, {action("t")});
  h.engine->pause_bank("b");
  for (int i = 0; i < 10; ++i) h.submit("t");
  try {
    h.submit("t");
    FAIL("expected E_QUEUE_FULL");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::QUEUE_FULL);
  }
  CHECK(h.engine->metrics().rejected == 1);
  CHECK(h.engine->metrics().pending == 10);
  h.engine->resume_bank("b");
  auto drains = [&] {
    h.pump();
    return std::count_if(h.events.begin(), h.events.end(),
                         [](const Event& e) { return e.type == EventType::QUEUE_DRAIN; });
  };
  h.finish(h.take());  // 9 pending (90%): drained
  CHECK(drains() == 1);
  for (int i = 0; i < 9; ++i) h.finish(h.take());
  CHECK(drains() == 1);  // once per full episode
}

TEST_CASE("in-flight attempts never exceed the concurrency limit, which can change at run time",
          "[scheduler]") {
  Harness h;
  h.bank("b", 4, {action("t")}, 1, /*concurrency=*/2);
  for (int i = 0; i < 10; ++i) h.submit("t");
  h.pump();
  CHECK(h.dispatches.size() == 2);
  h.engine->set_concurrency("b", 3);
  h.pump();
  CHECK(h.dispatches.size() == 3);
  h.engine->set_concurrency("b", 1);
  Dispatch d = h.take();
  h.finish(d);
  CHECK(h.dispatches.size() == 2);  // 3 were out; one finished; no new one at limit 1
  h.finish(h.take());
  CHECK(h.dispatches.size() == 1);
  h.finish(h.take());
  CHECK(h.dispatches.size() == 1);  // the next one, alone
  try {
    h.engine->set_concurrency("b", 0);
    FAIL("expected E_INVALID_ARGUMENT");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("maxConcurrentTasks and prefetch size each worker's capacity", "[scheduler]") {
  Harness h;
  h.bank("b", 2, {action("t")}, /*max_concurrent=*/2, 0, /*prefetch=*/1);
  for (int i = 0; i < 10; ++i) h.submit("t");
  h.pump();
  REQUIRE(h.dispatches.size() == 6);
  int on0 = 0;
  for (const auto& d : h.dispatches) on0 += d.worker == 0;
  CHECK(on0 == 3);
}

TEST_CASE("a paused bank dispatches nothing and resumes in order", "[scheduler]") {
  Harness h;
  h.bank("b", 1, {action("t")});
  h.engine->pause_bank("b");
  RequestId a = h.submit("t", 1);
  RequestId b = h.submit("t", 8);
  h.pump();
  CHECK(h.dispatches.empty());
  CHECK(h.engine->banks()[0].status == BankStatus::PAUSED);
  h.engine->resume_bank("b");
  CHECK(h.take().request == b);
  (void)a;
}

TEST_CASE("least-loaded spreads an idle bank's work over every worker", "[scheduler]") {
  Harness h;
  h.bank("b", 4, {action("t")});
  for (int i = 0; i < 4; ++i) h.submit("t");
  h.pump();
  std::vector<int> workers;
  for (const auto& d : h.dispatches) workers.push_back(d.worker);
  std::sort(workers.begin(), workers.end());
  CHECK(workers == std::vector<int>{0, 1, 2, 3});
  CHECK(h.engine->balance_report("b").imbalance == Approx(1.0));
}
