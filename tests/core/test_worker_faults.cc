// Faulty and hostile workers: what the core accepts from a worker, whom it blames when a
// worker dies, when a bank whose workers keep dying gives up on its queue, and how long
// replacements wait (docs/guarantees.md, "Faulty workers").
#include <catch2/catch.hpp>

#include "engine_fixture.h"

using namespace threadbank;
using namespace threadbank::testing;

namespace {

std::size_t at(RequestStatus s) { return static_cast<std::size_t>(s); }

Completion completion(const Dispatch& d, Outcome outcome = Outcome::ok(nullptr)) {
  Completion c;
  c.request = d.request;
  c.attempt = d.attempt;
  c.outcome = std::move(outcome);
  return c;
}

std::int64_t lose(ScriptHarness& h, std::uint32_t bank, std::int32_t worker,
                  ErrorCode reason = ErrorCode::WORKER_CRASHED) {
  std::vector<AttemptRef> running;  // it had begun nothing
  std::int64_t delay = h.engine->worker_lost(bank, worker, reason, "gone", &running);
  h.pump();
  return delay;
}

BankStatus bank_status(ScriptHarness& h) { return h.engine->banks().front().status; }

}  // namespace

// --- what a worker may answer ----------------------------------------------------------------

TEST_CASE("only the worker that holds an attempt can complete it", "[faults][accept]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  const std::int32_t other = d.worker == 0 ? 1 : 0;

  std::vector<Completion> forged{completion(d)};
  h.engine->complete_many(bank, other, forged);
  h.pump();
  CHECK_FALSE(forged[0].accepted);
  CHECK(h.status(id) == RequestStatus::PROCESSING);

  std::vector<Completion> real{completion(d)};
  h.engine->complete_many(bank, d.worker, real);
  h.pump();
  CHECK(real[0].accepted);
  CHECK(h.settlement(id).error == ErrorCode::OK);

  // A second answer for the same attempt, even from its own worker, is not accepted.
  std::vector<Completion> again{completion(d)};
  h.engine->complete_many(bank, d.worker, again);
  CHECK_FALSE(again[0].accepted);
  CHECK(h.settle_count(id) == 1);
}

TEST_CASE("a result for another attempt, bank or request is not accepted", "[faults][accept]") {
  ScriptHarness h;
  std::uint32_t bank = h.bank("b", {action("t")});
  h.bank("c", {action("u")});
  RequestId id = h.submit("t");
  RequestId other = h.submit("u");
  Dispatch d = h.take();
  Dispatch e = h.take();
  REQUIRE(d.request == id);
  REQUIRE(e.request == other);

  Completion wrong_attempt = completion(d);
  wrong_attempt.attempt = static_cast<std::uint8_t>(d.attempt + 1);
  Completion no_attempt = completion(d);
  no_attempt.attempt = 0;
  Completion unknown = completion(d);
  unknown.request = 999'999;
  Completion other_bank = completion(e);  // held by bank c's worker, answered by bank b's
  std::vector<Completion> forged{wrong_attempt, no_attempt, unknown, other_bank};
  h.engine->complete_many(bank, d.worker, forged);
  h.pump();
  for (const auto& c : forged) CHECK_FALSE(c.accepted);
  CHECK(h.status(id) == RequestStatus::ASSIGNED);
  CHECK(h.status(other) == RequestStatus::ASSIGNED);
  CHECK(h.settlements.empty());
}

TEST_CASE("a late result after a timeout frees the slot but is not accepted", "[faults][accept]") {
  ScriptHarness h;
  std::uint32_t bank = h.bank("b", {action("t", false, 10)});
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  h.advance_ms(10);
  REQUIRE(h.settlement(id).error == ErrorCode::TIMEOUT);
  std::vector<Completion> late{completion(d)};
  h.engine->complete_many(bank, d.worker, late);
  CHECK_FALSE(late[0].accepted);
  CHECK(h.settle_count(id) == 1);
}

TEST_CASE("a worker's reported run time counts only when it is possible", "[faults][accept]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  h.advance_ms(3);
  Outcome forged = Outcome::ok(nullptr);
  forged.run_ns = 86'400'000 * NS_PER_MS;  // a day, for an attempt handed over 3 ms ago
  h.finish(d, std::move(forged));
  REQUIRE(h.settlement(id).error == ErrorCode::OK);
  // The forged time was dropped: the attempt counts as the 3 ms it can have run.
  CHECK(h.engine->metrics().processing.max_ms <= 3.0);
}

// --- timeouts count from the start --------------------------------------------------------

TEST_CASE("an attempt's timeout runs from its start, not from its hand-over",
          "[faults][timeout]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 1;  // the worker holds a second attempt behind the first
  h.bank("b", {action("t", false, 10)}, options);
  RequestId first = h.submit("t");
  RequestId second = h.submit("t");
  Dispatch a = h.take();
  Dispatch b = h.take();
  h.start(a);
  h.advance_ms(5);
  h.finish(a);
  // The second was held for 5 ms before its handler began: none of that counts.
  h.advance_ms(4);
  h.start(b);
  h.advance_ms(9);
  CHECK(h.status(second) == RequestStatus::PROCESSING);
  h.advance_ms(1);
  CHECK(h.settlement(second).error == ErrorCode::TIMEOUT);
  CHECK(h.info(second).at_ns[at(RequestStatus::TIMED_OUT)] ==
        h.info(second).at_ns[at(RequestStatus::PROCESSING)] + 10 * NS_PER_MS);
  CHECK(h.settlement(first).error == ErrorCode::OK);
}

TEST_CASE("an attempt whose start is never reported is timed out at the backstop",
          "[faults][timeout]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 1;
  h.bank("b", {action("t", false, 10)}, options);
  RequestId first = h.submit("t");
  RequestId stuck = h.submit("t");
  Dispatch a = h.take();
  Dispatch b = h.take();
  h.start(a);
  h.advance_ms(2);
  // The worker finished `a` and began `b`, which hangs before `a`'s result could leave: the
  // host never hears of either.
  h.advance_ms(7);
  CHECK(h.status(stuck) == RequestStatus::ASSIGNED);
  h.advance_ms(1);  // `b` was handed over 10 ms ago; `a` began 10 ms ago
  CHECK(h.settlement(first).error == ErrorCode::TIMEOUT);
  CHECK(h.settlement(stuck).error == ErrorCode::TIMEOUT);
  bool replaced = false;
  for (const auto& abort : h.aborts) replaced |= abort.request == stuck && abort.timed_out;
  CHECK(replaced);
  (void)b;
}

// --- blame ----------------------------------------------------------------------------------

TEST_CASE("a worker that dies charges what it had begun and not reported, not what it held",
          "[faults][blame]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 2;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  RequestId culprit = h.submit("t");
  RequestId held = h.submit("t");
  Dispatch d = h.take();
  h.take();
  h.start(d);
  // The handler returned; its result had not left when the worker died (a stray rejection).
  std::vector<AttemptRef> running{{d.request, d.attempt}};
  h.engine->worker_lost(bank, d.worker, ErrorCode::WORKER_CRASHED, "gone", &running);
  h.pump();
  CHECK(h.settlement(culprit).error == ErrorCode::WORKER_CRASHED);
  CHECK(h.status(held) == RequestStatus::PENDING);
  CHECK(h.info(held).attempts == 0);
}

// --- deaths in a row --------------------------------------------------------------------------

TEST_CASE("replacements back off exponentially while workers keep dying", "[faults][backoff]") {
  EngineConfig config;
  config.max_consecutive_deaths = 100;
  config.restart_base_ms = 100;
  config.restart_max_ms = 1'000;
  ScriptHarness h(config);
  std::uint32_t bank = h.bank("b", {action("t")});
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 7; ++i) {
    delays.push_back(lose(h, bank, 0));
    h.engine->worker_replaced(bank, 0);
  }
  CHECK(delays == std::vector<std::int64_t>{0, 100, 200, 400, 800, 1'000, 1'000});

  // A worker that answers ends the run: the next death is replaced at once.
  RequestId id = h.submit("t");
  h.run_next();
  REQUIRE(h.settlement(id).error == ErrorCode::OK);
  CHECK(lose(h, bank, 0) == 0);
}

TEST_CASE("a worker the host stopped is no death and does not back off", "[faults][backoff]") {
  ScriptHarness h;
  std::uint32_t bank = h.bank("b", {action("t")});
  for (int i = 0; i < 10; ++i) {
    CHECK(lose(h, bank, 0, ErrorCode::TIMEOUT) == 0);
    h.engine->worker_replaced(bank, 0);
  }
  CHECK(bank_status(h) == BankStatus::ACTIVE);
}

TEST_CASE("a bank whose workers keep dying is FAILING, fails its queue, and recovers",
          "[faults][failing]") {
  EngineConfig config;
  config.max_consecutive_deaths = 3;
  ScriptHarness h(config);
  std::uint32_t bank = h.bank("b", {action("t")});
  RequestId running = h.submit("t");
  RequestId queued = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  std::vector<AttemptRef> began{{d.request, d.attempt}};
  h.engine->worker_lost(bank, 0, ErrorCode::WORKER_CRASHED, "crash 1", &began);
  h.pump();
  CHECK(h.settlement(running).error == ErrorCode::WORKER_CRASHED);
  h.engine->worker_replaced(bank, 0);
  h.take();  // `queued` went to the replacement, which dies before it begins
  lose(h, bank, 0);
  h.engine->worker_replaced(bank, 0);
  CHECK(bank_status(h) == BankStatus::ACTIVE);
  CHECK(h.settle_count(queued) == 0);
  h.take();
  lose(h, bank, 0);  // the third death in a row
  CHECK(bank_status(h) == BankStatus::FAILING);
  CHECK(h.settlement(queued).error == ErrorCode::WORKER_CRASHED);
  CHECK(h.count_events(EventType::BANK_STATUS) >= 2);  // registered, then failing

  // A FAILING bank still takes work: a replacement that finishes one makes it ACTIVE again.
  h.engine->worker_replaced(bank, 0);
  RequestId later = h.submit("t");
  h.run_next();
  CHECK(h.settlement(later).error == ErrorCode::OK);
  CHECK(bank_status(h) == BankStatus::ACTIVE);
  CHECK(h.engine->metrics().pending == 0);
}

TEST_CASE("each death while FAILING fails what queued since", "[faults][failing]") {
  EngineConfig config;
  config.max_consecutive_deaths = 1;
  ScriptHarness h(config);
  std::uint32_t bank = h.bank("b", {action("t")});
  lose(h, bank, 0);
  REQUIRE(bank_status(h) == BankStatus::FAILING);
  RequestId waiting = h.submit("t");  // no worker is alive: it queues
  CHECK(h.status(waiting) == RequestStatus::PENDING);
  lose(h, bank, 0);  // the replacement died too
  CHECK(h.settlement(waiting).error == ErrorCode::WORKER_CRASHED);
}
