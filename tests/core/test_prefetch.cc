// The adaptive prefetch window (prefetch.h): the rule on its own, then through the engine,
// where it decides how many attempts a script worker holds.
#include <catch2/catch.hpp>

#include "engine_fixture.h"
#include "threadbank/prefetch.h"

using namespace threadbank;
using namespace threadbank::testing;

namespace {

constexpr std::int64_t US = 1'000;

AdaptivePrefetch fed(std::int64_t duration_ns, int times) {
  AdaptivePrefetch p;
  for (int i = 0; i < times; ++i) p.record(duration_ns);
  return p;
}

// Attempts held by the bank's only worker: dispatched and not yet finished.
int held(ScriptHarness& h) { return h.engine->worker_status()[0].inflight; }

// One bank of one worker with the adaptive window, and `queued` requests submitted to it.
void auto_bank(ScriptHarness& h, int queued, BankOptions options = BankOptions{}) {
  options.prefetch = AUTO_PREFETCH;
  h.bank("b", {action("t")}, options);
  for (int i = 0; i < queued; ++i) h.submit("t");
}

}  // namespace

TEST_CASE("the adaptive window covers about four milliseconds of measured work", "[prefetch]") {
  CHECK(AdaptivePrefetch{}.window() == AdaptivePrefetch::INITIAL_WINDOW);
  CHECK(fed(2 * US, 1).window() == MAX_PREFETCH);  // tiny tasks: capped
  CHECK(fed(0, 1).window() == MAX_PREFETCH);       // results that came back together
  CHECK(fed(100 * US, 1).window() == 40);
  CHECK(fed(250 * US, 1).window() == 16);
  CHECK(fed(1'000 * US, 1).window() == 4);
  CHECK(fed(4'000 * US, 1).window() == 1);
  CHECK(fed(5'000 * US, 1).window() == 0);  // long tasks: none held back
}

TEST_CASE("the window follows a change of workload within a few dozen results", "[prefetch]") {
  AdaptivePrefetch p = fed(2 * US, 50);
  REQUIRE(p.window() == MAX_PREFETCH);
  bool changed = false;
  for (int i = 0; i < 40; ++i) changed |= p.record(20'000 * US);
  CHECK(changed);
  CHECK(p.window() == 0);
  for (int i = 0; i < 80; ++i) p.record(2 * US);
  CHECK(p.window() == MAX_PREFETCH);
}

TEST_CASE("record reports whether the window changed", "[prefetch]") {
  AdaptivePrefetch p;
  CHECK(p.record(2 * US));        // 1 -> 64
  CHECK_FALSE(p.record(2 * US));  // still 64
}

TEST_CASE("an auto-prefetch bank holds one extra attempt per worker until results arrive",
          "[prefetch][engine]") {
  ScriptHarness h;
  auto_bank(h, 100);
  CHECK(held(h) == 1 + AdaptivePrefetch::INITIAL_WINDOW);
  CHECK(h.engine->worker_status()[0].capacity == 1 + AdaptivePrefetch::INITIAL_WINDOW);
}

TEST_CASE("tiny tasks open an auto bank's window; long ones close it", "[prefetch][engine]") {
  ScriptHarness h;
  auto_bank(h, 400);

  // Tiny attempts: the worker may hold up to 1 + MAX_PREFETCH.
  for (int i = 0; i < 10; ++i) h.run_next(2 * US);
  CHECK(h.engine->worker_status()[0].capacity == 1 + MAX_PREFETCH);
  CHECK(held(h) == 1 + MAX_PREFETCH);

  // Attempts held while others ran count from the end of the previous one: finishing a
  // held batch at once keeps the window open.
  std::vector<Dispatch> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(h.take());
  h.advance_ns(200 * US);
  for (const auto& d : batch) h.finish(d);
  CHECK(h.engine->worker_status()[0].capacity == 1 + MAX_PREFETCH);

  // Long attempts close it within a few results.
  int runs = 0;
  while (h.engine->worker_status()[0].capacity > 1 && runs < 20) {
    h.run_next(20'000 * US);
    ++runs;
  }
  REQUIRE(h.engine->worker_status()[0].capacity == 1);
  CHECK(runs < 5);
  // The worker was holding far more than that: it takes nothing new until it is under the
  // new capacity, then one at a time.
  int before = held(h);
  REQUIRE(before > 10);
  while (held(h) > 1) {
    h.run_next(20'000 * US);
    CHECK(held(h) == --before);
  }
  for (int i = 0; i < 3; ++i) {
    h.run_next(20'000 * US);
    CHECK(held(h) == 1);
  }
}

TEST_CASE("attempts that time out close an auto bank's window", "[prefetch][engine]") {
  ScriptHarness h;
  BankOptions options;
  options.default_timeout_ms = 50;
  auto_bank(h, 200, options);
  for (int i = 0; i < 10; ++i) h.run_next(2 * US);
  REQUIRE(h.engine->worker_status()[0].capacity == 1 + MAX_PREFETCH);
  // The handler hangs: the attempt it began times out, and the window closes, so what
  // follows is not queued 64 deep behind the next hung attempt.
  h.start(h.take());
  h.advance_ms(60);
  CHECK(h.engine->worker_status()[0].capacity == 1);
}

TEST_CASE("a worker running several attempts at once gets a window per attempt it gets through",
          "[prefetch][engine]") {
  ScriptHarness h;
  BankOptions options;
  options.max_concurrent = 4;
  auto_bank(h, 100, options);
  // Four at a time, 2 ms each: one finishes every 0.5 ms, so eight fit in the 4 ms cover.
  for (int i = 0; i < 40; ++i) {
    Dispatch d = h.take();
    Outcome outcome = Outcome::ok(nullptr);
    outcome.run_ns = 2'000 * US;
    // A reported run time counts only if it fits in the time since the hand-over.
    h.clock->advance_ns(2'000 * US);
    h.finish(d, std::move(outcome));
  }
  CHECK(h.engine->worker_status()[0].capacity == 4 + 8);
}

TEST_CASE("a fixed prefetch ignores durations; out-of-range values are refused", "[prefetch][engine]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 2;
  h.bank("b", {action("t")}, options);
  for (int i = 0; i < 50; ++i) h.submit("t");
  for (int i = 0; i < 10; ++i) h.run_next(1 * US);
  CHECK(h.engine->worker_status()[0].capacity == 3);
  CHECK(held(h) == 3);

  for (int bad : {-2, MAX_PREFETCH + 1}) {
    BankOptions wrong;
    wrong.prefetch = bad;
    CHECK(code_of([&] { h.bank("x" + std::to_string(bad), {action("u")}, wrong); }) ==
          ErrorCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("an auto bank trusts the handler time its worker reports over the host's view",
          "[prefetch][engine]") {
  ScriptHarness h;
  auto_bank(h, 50);
  // Each result reaches the host 5 ms after its dispatch (a slow message round trip on a
  // busy thread), but the handler ran for 2 us: the window opens all the same.
  for (int i = 0; i < 10; ++i) {
    Dispatch d = h.take();
    h.start(d);
    h.advance_ns(5'000 * US);
    Outcome outcome = Outcome::ok(nullptr);
    outcome.run_ns = 2 * US;
    h.finish(d, std::move(outcome));
  }
  CHECK(h.engine->worker_status()[0].capacity == 1 + MAX_PREFETCH);
}
