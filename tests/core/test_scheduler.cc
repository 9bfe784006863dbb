// Scheduling inside a bank: priority order, FIFO within a priority, aging, the queue
// bound, concurrency limits and pause/resume. See docs/scheduling.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::BankOptions;
using threadbank::testing::code_of;
using threadbank::testing::ScriptHarness;
using threadbank::testing::task_spec;

namespace {

/// Completes every open dispatch one at a time (one worker: each completion dispatches the
/// next) and returns the order in which requests were dispatched.
std::vector<RequestId> run_all(ScriptHarness& h) {
  std::vector<RequestId> order;
  while (h.open_count() > 0) {
    Dispatch d = h.take();
    order.push_back(d.request);
    h.finish(d);
  }
  return order;
}

/// In-flight attempts as the test sees them: dispatched and not yet completed.
struct InFlight {
  ScriptHarness& h;
  std::size_t completed = 0;
  std::size_t now() const { return h.dispatched.size() - completed; }
  void finish_one() {
    h.finish(h.take());
    ++completed;
  }
};

}  // namespace

TEST_CASE("higher priorities run first and FIFO holds inside a priority", "[scheduler]") {
  EngineConfig config;
  config.aging_step_ms = 0;  // pure priority order for this test
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  RequestId blocker = h.submit("t");
  REQUIRE(h.open_count() == 1);

  // 60 requests over every priority, in a scrambled but deterministic order.
  std::vector<std::pair<int, RequestId>> submitted;
  for (int i = 0; i < 60; ++i) {
    int priority = (i * 7 + 3) % (MAX_PRIORITY + 1);
    submitted.emplace_back(priority, h.submit("t", priority));
  }
  CHECK(h.open_count() == 1);  // only the blocker runs
  CHECK(h.engine->metrics().pending == 60);

  // Reference: by priority, highest first; stable, so submission order inside a level.
  std::vector<std::pair<int, RequestId>> reference = submitted;
  std::stable_sort(reference.begin(), reference.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<RequestId> expected{blocker};
  for (const auto& entry : reference) expected.push_back(entry.second);

  CHECK(run_all(h) == expected);
}

TEST_CASE("the default priority is 5", "[scheduler]") {
  EngineConfig config;
  config.aging_step_ms = 0;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  RequestId blocker = h.submit("t");
  RequestId four = h.submit("t", 4);
  RequestId default_priority = h.submit("t");
  RequestId six = h.submit("t", 6);
  CHECK(h.info(default_priority).priority == 5);
  CHECK(run_all(h) == std::vector<RequestId>{blocker, six, default_priority, four});
}

TEST_CASE("aging: each aging step waited adds one level, ties go to the longest waiter",
          "[scheduler][aging]") {
  EngineConfig config;
  config.aging_step_ms = 100;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  RequestId blocker = h.submit("t");
  RequestId low = h.submit("t", 2);  // effective 2 + floor(waited / 100 ms)

  SECTION("one ns short of 4 steps: 2 + 3 = 5 < 6, the fresh 6 goes first") {
    h.advance_ns(400 * NS_PER_MS - 1);
    RequestId high = h.submit("t", 6);
    CHECK(run_all(h) == std::vector<RequestId>{blocker, high, low});
  }
  SECTION("exactly 4 steps: 2 + 4 = 6 ties the fresh 6, and the longer waiter wins") {
    h.advance_ns(400 * NS_PER_MS);
    RequestId high = h.submit("t", 6);
    CHECK(run_all(h) == std::vector<RequestId>{blocker, low, high});
  }
  SECTION("exactly 4 steps: 6 still loses to a fresh 7") {
    h.advance_ns(400 * NS_PER_MS);
    RequestId higher = h.submit("t", 7);
    CHECK(run_all(h) == std::vector<RequestId>{blocker, higher, low});
  }
  SECTION("5 steps: 2 + 5 = 7 beats a fresh 6") {
    h.advance_ns(500 * NS_PER_MS);
    RequestId high = h.submit("t", 6);
    CHECK(run_all(h) == std::vector<RequestId>{blocker, low, high});
  }
}

TEST_CASE("aging keeps a low priority from starving under a steady high-priority stream",
          "[scheduler][aging]") {
  // One worker; every 50 ms the running request finishes and a new priority-10 request
  // arrives. A priority-0 request must still run: after 10 steps (1 s) of waiting it ties
  // the fresh 10s and wins the tie.
  auto run_stream = [](std::int64_t aging_step_ms) {
    EngineConfig config;
    config.aging_step_ms = aging_step_ms;
    ScriptHarness h(config);
    h.bank("b", {action("t")});
    h.submit("t", 10);
    RequestId low = h.submit("t", 0);
    h.submit("t", 10);
    std::int64_t waited_ms = 0;
    for (int i = 0; i < 100; ++i) {
      h.advance_ms(50);
      waited_ms += 50;
      h.submit("t", 10);
      Dispatch d = h.take();
      h.finish(d);
      auto order = h.dispatch_order();
      if (std::find(order.begin(), order.end(), low) != order.end()) return waited_ms;
    }
    return std::int64_t{-1};
  };
  std::int64_t with_aging = run_stream(100);
  CHECK(with_aging > 0);
  CHECK(with_aging <= 1'100);
  CHECK(run_stream(0) == -1);  // without aging it starves: the stream never ends
}

TEST_CASE("the queue bound: E_QUEUE_FULL at max_queue pending, then one queue-drain at 90%",
          "[scheduler][queue]") {
  EngineConfig config;
  config.max_queue = 10;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  // The running request is not pending: it does not count against the bound.
  RequestId running = h.submit("t");
  REQUIRE(h.status(running) == RequestStatus::ASSIGNED);
  std::vector<RequestId> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(h.submit("t"));
  CHECK(h.engine->metrics().pending == 10);

  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::QUEUE_FULL);
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::QUEUE_FULL);
  SystemMetrics m = h.engine->metrics();
  CHECK(m.rejected == 2);
  CHECK(m.pending == 10);
  CHECK(m.total_requests == 11);
  CHECK(h.count_events(EventType::QUEUE_DRAIN) == 0);

  // Finishing the running request assigns one queued request: 9 pending = 90%.
  h.finish(h.take());
  CHECK(h.engine->metrics().pending == 9);
  CHECK(h.count_events(EventType::QUEUE_DRAIN) == 1);
  // There is room again; filling it and overflowing once more starts a second episode.
  CHECK(code_of([&] { h.submit("t"); }) == ErrorCode::OK);
  CHECK(h.engine->metrics().pending == 10);
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::QUEUE_FULL);
  h.finish(h.take());
  CHECK(h.engine->metrics().pending == 9);
  CHECK(h.count_events(EventType::QUEUE_DRAIN) == 2);
  // Draining further fires nothing more.
  h.finish(h.take());
  h.finish(h.take());
  CHECK(h.count_events(EventType::QUEUE_DRAIN) == 2);
}

TEST_CASE("queue-drain does not fire above 90% of the bound", "[scheduler][queue]") {
  EngineConfig big;
  big.max_queue = 20;
  ScriptHarness g(big);
  g.bank("b", {action("t")});
  g.submit("t");
  for (int i = 0; i < 20; ++i) g.submit("t");
  CHECK(code_of([&] { g.engine->submit(task_spec("t")); }) == ErrorCode::QUEUE_FULL);
  g.finish(g.take());  // 19 pending = 95%
  CHECK(g.engine->metrics().pending == 19);
  CHECK(g.count_events(EventType::QUEUE_DRAIN) == 0);
  g.finish(g.take());  // 18 pending = 90%
  CHECK(g.count_events(EventType::QUEUE_DRAIN) == 1);
}

TEST_CASE("reaching the queue bound without a rejection also arms queue-drain",
          "[scheduler][queue]") {
  // docs/scheduling.md: "When the queue had hit the bound and drops to 90% of it, a
  // queue-drain event fires." Hitting the bound is having max_queue pending.
  EngineConfig config;
  config.max_queue = 10;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  h.submit("t");
  for (int i = 0; i < 10; ++i) h.submit("t");
  REQUIRE(h.engine->metrics().pending == 10);
  h.finish(h.take());
  CHECK(h.engine->metrics().pending == 9);
  CHECK(h.count_events(EventType::QUEUE_DRAIN) == 1);
}

TEST_CASE("max_queue 0 means unbounded", "[scheduler][queue]") {
  EngineConfig config;
  config.max_queue = 0;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  for (int i = 0; i < 2'000; ++i) h.engine->submit(task_spec("t"));
  CHECK(h.engine->metrics().pending == 2'000);
  CHECK(h.engine->metrics().rejected == 0);
}

TEST_CASE("the queue bound counts pending requests over all banks", "[scheduler][queue]") {
  EngineConfig config;
  config.max_queue = 4;
  ScriptHarness h(config);
  h.bank("a", {action("x")});
  h.bank("b", {action("y")});
  h.engine->pause_bank("a");
  h.engine->pause_bank("b");
  h.submit("x");
  h.submit("x");
  h.submit("y");
  h.submit("y");
  CHECK(code_of([&] { h.engine->submit(task_spec("y")); }) == ErrorCode::QUEUE_FULL);
  CHECK(code_of([&] { h.engine->submit(task_spec("x")); }) == ErrorCode::QUEUE_FULL);
}

TEST_CASE("in-flight attempts never exceed the bank's concurrency limit, which changes at run time",
          "[scheduler][concurrency]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 4;
  options.concurrency = 2;
  h.bank("b", {action("t")}, options);
  CHECK(h.engine->banks()[0].concurrency == 2);
  for (int i = 0; i < 12; ++i) h.submit("t");
  InFlight inflight{h};
  CHECK(inflight.now() == 2);
  CHECK(h.engine->metrics().in_flight == 2);

  // Raising the limit assigns at once.
  h.engine->set_concurrency("b", 3);
  h.pump();
  CHECK(h.engine->banks()[0].concurrency == 3);
  CHECK(inflight.now() == 3);

  // Lowering it stops nothing that runs; it holds back new work until in-flight < limit.
  h.engine->set_concurrency("b", 1);
  h.pump();
  CHECK(inflight.now() == 3);
  CHECK(h.aborts.empty());
  inflight.finish_one();
  CHECK(inflight.now() == 2);
  inflight.finish_one();
  CHECK(inflight.now() == 1);
  inflight.finish_one();  // in-flight 0 < 1: the next one goes out
  CHECK(inflight.now() == 1);
  for (int i = 0; i < 4; ++i) {
    inflight.finish_one();
    CHECK(inflight.now() == 1);
    CHECK(h.engine->banks()[0].in_flight == 1);
  }

  CHECK(code_of([&] { h.engine->set_concurrency("b", 0); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(code_of([&] { h.engine->set_concurrency("b", -2); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(h.engine->banks()[0].concurrency == 1);
}

TEST_CASE("the default concurrency limit is workers x maxConcurrentTasks",
          "[scheduler][concurrency]") {
  int workers = GENERATE(1, 2, 4);
  int per_worker = GENERATE(1, 3);
  ScriptHarness h;
  BankOptions options;
  options.workers = workers;
  options.max_concurrent = per_worker;
  h.bank("b", {action("t")}, options);
  CHECK(h.engine->banks()[0].concurrency == workers * per_worker);
  for (int i = 0; i < 20; ++i) h.submit("t");
  CHECK(h.open_count() == static_cast<std::size_t>(workers * per_worker));
}

TEST_CASE("a worker holds up to maxConcurrentTasks attempts at once", "[scheduler][concurrency]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  options.max_concurrent = 3;
  h.bank("b", {action("t")}, options);
  for (int i = 0; i < 10; ++i) h.submit("t");
  REQUIRE(h.open_count() == 6);
  std::map<int, int> per_worker;
  for (const auto& d : h.open) ++per_worker[d.worker];
  CHECK(per_worker == std::map<int, int>{{0, 3}, {1, 3}});
  for (const auto& w : h.engine->worker_status()) {
    CHECK(w.capacity == 3);
    CHECK(w.inflight == 3);
    CHECK(w.busy);
  }
  // A freed slot is refilled on the same worker.
  Dispatch d = h.take();
  h.finish(d);
  REQUIRE(h.open_count() == 6);
  CHECK(h.open.back().worker == d.worker);
}

TEST_CASE("prefetch adds slots beyond maxConcurrentTasks", "[scheduler][concurrency]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  options.max_concurrent = 2;
  options.prefetch = 1;
  h.bank("b", {action("t")}, options);
  for (int i = 0; i < 10; ++i) h.submit("t");
  REQUIRE(h.open_count() == 6);
  int on_worker0 = 0;
  for (const auto& d : h.open) on_worker0 += d.worker == 0;
  CHECK(on_worker0 == 3);
}

TEST_CASE("a paused bank dispatches nothing and resumes in priority order", "[scheduler][pause]") {
  EngineConfig config;
  config.aging_step_ms = 0;
  ScriptHarness h(config);
  BankOptions options;
  options.workers = 1;
  h.bank("b", {action("t")}, options);
  RequestId running = h.submit("t");
  Dispatch first = h.take();
  h.engine->pause_bank("b");
  CHECK(h.engine->banks()[0].status == BankStatus::PAUSED);
  RequestId a = h.submit("t", 1);
  RequestId b = h.submit("t", 8);
  RequestId c = h.submit("t", 8);
  RequestId d = h.submit("t", 3);
  // Finishing the running attempt frees the worker, but a paused bank assigns nothing.
  h.finish(first);
  CHECK(h.status(running) == RequestStatus::COMPLETED);
  h.advance_ms(5'000);
  CHECK(h.open_count() == 0);
  CHECK(h.engine->metrics().pending == 4);
  CHECK(h.engine->banks()[0].queue_depth == 4);
  // Pausing twice is harmless.
  h.engine->pause_bank("b");
  h.engine->resume_bank("b");
  CHECK(h.engine->banks()[0].status == BankStatus::ACTIVE);
  CHECK(run_all(h) == std::vector<RequestId>{b, c, d, a});
  std::vector<BankStatus> bank_events;
  for (const auto& e : h.events) {
    if (e.type == EventType::BANK_STATUS) bank_events.push_back(static_cast<BankStatus>(e.state));
  }
  REQUIRE(bank_events.size() >= 2);
  CHECK(std::count(bank_events.begin(), bank_events.end(), BankStatus::PAUSED) >= 1);
  CHECK(bank_events.back() == BankStatus::ACTIVE);
}

TEST_CASE("pausing one bank does not hold back another", "[scheduler][pause]") {
  ScriptHarness h;
  h.bank("a", {action("x")});
  h.bank("b", {action("y")});
  h.engine->pause_bank("a");
  RequestId x = h.submit("x");
  RequestId y = h.submit("y");
  CHECK(h.status(x) == RequestStatus::PENDING);
  CHECK(h.status(y) == RequestStatus::ASSIGNED);
  Dispatch d = h.take();
  CHECK(d.request == y);
  CHECK(h.open_count() == 0);
}
