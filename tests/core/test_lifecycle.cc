// A request's life: timestamps, retries and backoff, timeouts, cancellation in each state,
// worker loss, shutdown and history. All on the manual clock; the test plays the script
// workers. See docs/scheduling.md.
#include <catch2/catch.hpp>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::BankOptions;
using threadbank::testing::code_of;
using threadbank::testing::ScriptHarness;
using threadbank::testing::task_spec;

namespace {

std::size_t at(RequestStatus s) {
  return static_cast<std::size_t>(s);
}

int dispatches_of(const ScriptHarness& h, RequestId id) {
  int n = 0;
  for (const auto& d : h.dispatched) n += d.request == id;
  return n;
}

std::size_t request_events(ScriptHarness& h, RequestId id, EventType type) {
  h.pump();
  std::size_t n = 0;
  for (const auto& e : h.events) n += e.request == id && e.type == type;
  return n;
}

}  // namespace

// --- timestamps ----------------------------------------------------------------------

TEST_CASE("steps stamped at clock 0 are present, not taken for absent", "[lifecycle][timestamps]") {
  // Test mode's manual clock starts at 0: a request can be submitted, assigned, started and
  // finished there, and each of those steps happened.
  ScriptHarness h(EngineConfig{}, true, /*start_ns=*/0);
  h.bank("b", {action("t")});
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  REQUIRE(d.request == id);
  h.start(d);
  RequestInfo live = h.info(id);
  for (RequestStatus step :
       {RequestStatus::PENDING, RequestStatus::ASSIGNED, RequestStatus::PROCESSING}) {
    INFO(request_status_name(step));
    CHECK(stamped(live.at_ns[at(step)]));
    CHECK(live.at_ns[at(step)] == 0);
  }
  CHECK_FALSE(stamped(live.at_ns[at(RequestStatus::COMPLETED)]));
  CHECK_FALSE(stamped(live.finished_ns));

  h.finish(d);
  RequestInfo done = h.info(id);
  CHECK(stamped(done.at_ns[at(RequestStatus::COMPLETED)]));
  CHECK(done.finished_ns == 0);
  CHECK(stamped(done.finished_ns));
  for (RequestStatus never :
       {RequestStatus::FAILED, RequestStatus::CANCELLED, RequestStatus::TIMED_OUT}) {
    CHECK_FALSE(stamped(done.at_ns[at(never)]));
  }
}

TEST_CASE("every transition records its time", "[lifecycle][timestamps]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  const std::int64_t t0 = h.clock->now_ns();
  h.submit("t");  // the blocker
  h.advance_ms(1);
  RequestId id = h.submit("t");
  CHECK(h.info(id).finished_ns == NEVER_NS);
  h.advance_ms(10);
  h.finish(h.take());  // the blocker ends; id is assigned now
  h.advance_ms(5);
  Dispatch d = h.take();
  REQUIRE(d.request == id);
  h.start(d);
  h.advance_ms(7);
  h.finish(d, Outcome::ok(nlohmann::json{{"x", 1}}));

  RequestInfo info = h.info(id);
  CHECK(info.status == RequestStatus::COMPLETED);
  CHECK(info.submitted_ns == t0 + 1 * NS_PER_MS);
  CHECK(info.at_ns[at(RequestStatus::PENDING)] == t0 + 1 * NS_PER_MS);
  CHECK(info.at_ns[at(RequestStatus::ASSIGNED)] == t0 + 11 * NS_PER_MS);
  CHECK(info.at_ns[at(RequestStatus::PROCESSING)] == t0 + 16 * NS_PER_MS);
  CHECK(info.at_ns[at(RequestStatus::COMPLETED)] == t0 + 23 * NS_PER_MS);
  CHECK(info.finished_ns == t0 + 23 * NS_PER_MS);
  for (RequestStatus never :
       {RequestStatus::FAILED, RequestStatus::CANCELLED, RequestStatus::TIMED_OUT}) {
    CHECK(info.at_ns[at(never)] == NEVER_NS);
  }
  CHECK(h.settlement(id).status == RequestStatus::COMPLETED);
  CHECK(h.settlement(id).error == ErrorCode::OK);

  SECTION("failed, cancelled and timed-out record their own slot") {
    RequestId failed = h.submit("t");
    h.advance_ms(3);
    h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
    RequestId cancelled = h.submit("t");
    h.advance_ms(4);
    h.engine->cancel(cancelled);
    const std::int64_t now = h.clock->now_ns();
    CHECK(h.info(failed).at_ns[at(RequestStatus::FAILED)] == now - 4 * NS_PER_MS);
    CHECK(h.info(failed).finished_ns == now - 4 * NS_PER_MS);
    CHECK(h.info(cancelled).at_ns[at(RequestStatus::CANCELLED)] == now);
    CHECK(h.info(cancelled).finished_ns == now);
    h.finish(h.take());  // the cancelled attempt's worker returns
    SubmitSpec timed = task_spec("t");
    timed.timeout_ms = 20;
    RequestId timed_out = h.submit(timed);
    h.start(h.take());
    h.advance_ms(20);
    CHECK(h.info(timed_out).at_ns[at(RequestStatus::TIMED_OUT)] == h.clock->now_ns());
    CHECK(h.info(timed_out).finished_ns == h.clock->now_ns());
  }
}

TEST_CASE("a retry re-enters pending at its own time, the submission time stays",
          "[lifecycle][timestamps]") {
  ScriptHarness h;
  h.bank("b", {action("r", true)});
  RequestId retried = h.submit("r");
  const std::int64_t submitted = h.clock->now_ns();
  h.advance_ms(2);
  h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
  RequestInfo after = h.info(retried);
  CHECK(after.status == RequestStatus::PENDING);
  CHECK(after.at_ns[at(RequestStatus::PENDING)] == submitted + 2 * NS_PER_MS);
  CHECK(after.submitted_ns == submitted);
  // Queries by submission time see the original time too.
  RequestQuery range;
  range.from_ns = submitted;
  range.to_ns = submitted;
  CHECK(h.engine->query(range).total == 1);
}

// --- retries ---------------------------------------------------------------------------

namespace {

struct RetryCase {
  const char* name;
  bool retryable;
  std::optional<int> retries;
  int default_retries;
  int expected_attempts;
};

}  // namespace

TEST_CASE("attempts allowed = 1 + retries: request option, else the action's default",
          "[lifecycle][retry]") {
  RetryCase c = GENERATE(values<RetryCase>({
      {"retryable, default retries (2)", true, std::nullopt, 2, 3},
      {"retryable, default_retries 1", true, std::nullopt, 1, 2},
      {"not retryable", false, std::nullopt, 2, 1},
      {"not retryable, retries 1", false, 1, 2, 2},
      {"retryable, retries 0", true, 0, 2, 1},
      {"retryable, retries 4", true, 4, 2, 5},
  }));
  INFO(c.name);
  EngineConfig config;
  config.default_retries = c.default_retries;
  config.retry_base_ms = 10;
  config.retry_max_ms = 10;
  ScriptHarness h(config);
  h.bank("b", {action("t", c.retryable)});
  SubmitSpec spec = task_spec("t");
  spec.retries = c.retries;
  RequestId id = h.submit(spec);
  CHECK(h.info(id).max_attempts == c.expected_attempts);

  for (int attempt = 1; attempt <= c.expected_attempts; ++attempt) {
    Dispatch d = h.take();
    CHECK(d.request == id);
    CHECK(d.attempt == attempt);
    h.start(d);
    h.finish(d, Outcome::fail(ErrorCode::HANDLER, "nope"));
    h.advance_ms(10);
  }
  h.advance_ms(10'000);
  CHECK(h.open_count() == 0);
  CHECK(dispatches_of(h, id) == c.expected_attempts);
  RequestInfo info = h.info(id);
  CHECK(info.status == RequestStatus::FAILED);
  CHECK(info.error == ErrorCode::HANDLER);
  CHECK(info.attempts == c.expected_attempts);
  CHECK(h.settlement(id).error == ErrorCode::HANDLER);
  CHECK(h.settlement(id).status == RequestStatus::FAILED);
  CHECK(h.engine->metrics().retries == static_cast<std::uint64_t>(c.expected_attempts - 1));
  CHECK(request_events(h, id, EventType::REQUEST_RETRIED) ==
        static_cast<std::size_t>(c.expected_attempts - 1));
  CHECK(request_events(h, id, EventType::REQUEST_FAILED) == 1);
}

TEST_CASE("a retry that succeeds completes with its result", "[lifecycle][retry]") {
  ScriptHarness h;
  h.bank("b", {action("t", true)});
  RequestId id = h.submit("t");
  h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "flaky"));
  CHECK(h.status(id) == RequestStatus::PENDING);
  CHECK(h.settle_count(id) == 0);
  h.advance_ms(100);  // retry_base_ms default
  Dispatch retry = h.take();
  CHECK(retry.attempt == 2);
  h.finish(retry, Outcome::ok(nlohmann::json{{"ok", true}}));
  Settlement s = h.settlement(id);
  CHECK(s.status == RequestStatus::COMPLETED);
  CHECK(s.error == ErrorCode::OK);
  CHECK(h.info(id).attempts == 2);
}

TEST_CASE("E_HANDLER, E_WORKER_CRASHED and E_TIMEOUT are retried", "[lifecycle][retry]") {
  ErrorCode code = GENERATE(ErrorCode::HANDLER, ErrorCode::WORKER_CRASHED, ErrorCode::TIMEOUT);
  ScriptHarness h;
  h.bank("b", {action("t", true)});
  RequestId id = h.submit("t");
  h.finish(h.take(), Outcome::fail(code, "x"));
  CHECK(h.status(id) == RequestStatus::PENDING);
  CHECK(h.settle_count(id) == 0);
  h.advance_ms(100);
  CHECK(h.take().attempt == 2);
}

TEST_CASE("E_INVALID_PARAMS, E_CANCELLED and E_SHUTTING_DOWN are never retried",
          "[lifecycle][retry]") {
  ErrorCode code =
      GENERATE(ErrorCode::INVALID_PARAMS, ErrorCode::CANCELLED, ErrorCode::SHUTTING_DOWN);
  ScriptHarness h;
  h.bank("b", {action("t", true)});
  SubmitSpec spec = task_spec("t");
  spec.retries = 5;
  RequestId id = h.submit(spec);
  Dispatch d = h.take();
  h.start(d);
  h.finish(d, Outcome::fail(code, "x"));
  h.advance_ms(60'000);
  CHECK(is_final(h.status(id)));
  CHECK(h.settlement(id).error == code);
  CHECK(h.info(id).attempts == 1);
  CHECK(dispatches_of(h, id) == 1);
  CHECK(h.engine->metrics().retries == 0);
  if (code == ErrorCode::INVALID_PARAMS) CHECK(h.status(id) == RequestStatus::FAILED);
}

TEST_CASE("retry n waits min(base * 2^(n-1), max), exactly", "[lifecycle][retry][backoff]") {
  struct Case {
    std::int64_t base_ms, max_ms;
    std::vector<std::int64_t> waits_ms;
  };
  Case c = GENERATE(values<Case>({
      {100, 300, {100, 200, 300, 300}},
      {10, 10'000, {10, 20, 40, 80, 160}},
      {250, 250, {250, 250, 250}},
  }));
  EngineConfig config;
  config.retry_base_ms = c.base_ms;
  config.retry_max_ms = c.max_ms;
  ScriptHarness h(config);
  h.bank("b", {action("t", true)});
  SubmitSpec spec = task_spec("t");
  spec.retries = static_cast<int>(c.waits_ms.size());
  RequestId id = h.submit(spec);

  std::uint8_t attempt = 1;
  for (std::int64_t wait_ms : c.waits_ms) {
    INFO("attempt " << static_cast<int>(attempt) << ", expected wait " << wait_ms << " ms");
    Dispatch d = h.take();
    REQUIRE(d.attempt == attempt);
    h.start(d);
    h.advance_ms(3);  // the attempt's own run time does not count towards the backoff
    h.finish(d, Outcome::fail(ErrorCode::HANDLER, "again"));
    const std::int64_t failed_at = h.clock->now_ns();
    CHECK(h.engine->next_deadline_ns() == failed_at + wait_ms * NS_PER_MS);

    h.advance_ns(wait_ms * NS_PER_MS - 1);
    CHECK(h.open_count() == 0);
    CHECK(h.status(id) == RequestStatus::PENDING);
    h.advance_ns(1);
    REQUIRE(h.open_count() == 1);
    CHECK(h.open.front().attempt == attempt + 1);
    CHECK(h.info(id).at_ns[at(RequestStatus::ASSIGNED)] == failed_at + wait_ms * NS_PER_MS);
    ++attempt;
  }
  h.finish(h.take());
  CHECK(h.status(id) == RequestStatus::COMPLETED);
  CHECK(h.info(id).attempts == static_cast<int>(c.waits_ms.size()) + 1);
}

TEST_CASE("a request waiting for its retry frees the worker and rejoins its level at the back",
          "[lifecycle][retry]") {
  EngineConfig config;
  config.retry_base_ms = 100;
  config.aging_step_ms = 0;
  ScriptHarness h(config);
  h.bank("b", {action("t", true)});
  RequestId flaky = h.submit("t");
  h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
  // During the backoff the worker takes other work at once.
  RequestId x = h.submit("t");
  Dispatch dx = h.take();
  CHECK(dx.request == x);
  RequestId y = h.submit("t");
  h.advance_ms(100);  // flaky rejoins priority 5 behind y
  RequestId z = h.submit("t");
  h.finish(dx);
  std::vector<RequestId> order;
  while (h.open_count() > 0) {
    Dispatch d = h.take();
    order.push_back(d.request);
    h.finish(d);
  }
  CHECK(order == std::vector<RequestId>{y, flaky, z});
}

// --- timeouts --------------------------------------------------------------------------

TEST_CASE("timeouts count from the attempt's start, not from submission or assignment",
          "[lifecycle][timeout]") {
  ScriptHarness h;
  h.bank("b", {action("t", false, 50)});
  RequestId first = h.submit("t");
  RequestId second = h.submit("t");
  Dispatch d1 = h.take();
  h.start(d1);
  h.advance_ms(40);
  h.finish(d1);  // second waited 40 ms in the queue and is assigned now
  CHECK(h.status(first) == RequestStatus::COMPLETED);
  Dispatch d2 = h.take();
  h.advance_ms(30);  // assigned, not begun: no timeout runs
  CHECK(h.status(second) == RequestStatus::ASSIGNED);
  h.start(d2);
  h.advance_ns(50 * NS_PER_MS - 1);
  CHECK(h.status(second) == RequestStatus::PROCESSING);
  h.advance_ns(1);
  CHECK(h.status(second) == RequestStatus::TIMED_OUT);
}

TEST_CASE("timeout resolution: request, then action, then manifest default, else none, 0 is none",
          "[lifecycle][timeout]") {
  struct Case {
    const char* name;
    const char* task;
    std::optional<std::int64_t> request_timeout_ms;
    std::int64_t expected_ms;  // 0: never times out
  };
  Case c = GENERATE(values<Case>({
      {"request beats action", "with_timeout", 100, 100},
      {"request beats manifest default", "plain", 150, 150},
      {"action", "with_timeout", std::nullopt, 200},
      {"manifest default", "plain", std::nullopt, 300},
      {"request 0 is none", "with_timeout", 0, 0},
  }));
  INFO(c.name);
  ScriptHarness h;
  BankOptions options;
  options.default_timeout_ms = 300;
  h.bank("b", {action("with_timeout", false, 200), action("plain")}, options);
  SubmitSpec spec = task_spec(c.task);
  spec.timeout_ms = c.request_timeout_ms;
  RequestId id = h.submit(spec);
  REQUIRE(h.status(id) == RequestStatus::ASSIGNED);
  h.start(h.take());
  if (c.expected_ms == 0) {
    h.advance_ms(24 * 3600 * 1000);
    CHECK(h.status(id) == RequestStatus::PROCESSING);
    CHECK(h.engine->next_deadline_ns() == -1);
  } else {
    h.advance_ns(c.expected_ms * NS_PER_MS - 1);
    CHECK(h.status(id) == RequestStatus::PROCESSING);
    h.advance_ns(1);
    CHECK(h.status(id) == RequestStatus::TIMED_OUT);
  }
}

TEST_CASE("no timeout anywhere means none", "[lifecycle][timeout]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  RequestId id = h.submit("t");
  h.start(h.take());
  h.advance_ms(7 * 24 * 3600 * 1000LL);
  CHECK(h.status(id) == RequestStatus::PROCESSING);
}

TEST_CASE("a timeout ends TIMED_OUT with E_TIMEOUT and asks the binding to replace the worker",
          "[lifecycle][timeout]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  std::uint32_t bank = h.bank("b", {action("t", false, 30)}, options);
  SubmitSpec untimed = task_spec("t");
  untimed.timeout_ms = 0;
  h.submit(untimed);  // occupies the other worker, never times out
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  d = h.take();
  REQUIRE(d.request == id);
  h.start(d);
  h.advance_ms(30);
  CHECK(h.status(id) == RequestStatus::TIMED_OUT);
  Settlement s = h.settlement(id);
  CHECK(s.status == RequestStatus::TIMED_OUT);
  CHECK(s.error == ErrorCode::TIMEOUT);
  CHECK(h.info(id).error == ErrorCode::TIMEOUT);
  std::vector<Abort> mine;
  for (const auto& a : h.aborts) {
    if (a.request == id) mine.push_back(a);
  }
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].attempt == d.attempt);
  CHECK(mine[0].bank == bank);
  CHECK(mine[0].worker == d.worker);
  CHECK(mine[0].timed_out);
  CHECK(request_events(h, id, EventType::REQUEST_TIMED_OUT) == 1);
  CHECK(h.engine->metrics().finished[at(RequestStatus::TIMED_OUT)] == 1);
}

TEST_CASE("a late completion after a timeout is ignored but frees the worker",
          "[lifecycle][timeout]") {
  ScriptHarness h;
  h.bank("b", {action("t", false, 10)});
  RequestId late = h.submit("t");
  RequestId next = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  h.advance_ms(10);
  CHECK(h.status(late) == RequestStatus::TIMED_OUT);
  // The abandoned attempt still holds the only worker.
  CHECK(h.open_count() == 0);
  CHECK(h.status(next) == RequestStatus::PENDING);
  h.finish(d, Outcome::ok(nlohmann::json(42)));
  CHECK(h.status(late) == RequestStatus::TIMED_OUT);
  CHECK(h.settle_count(late) == 1);
  CHECK(h.settlement(late).error == ErrorCode::TIMEOUT);
  CHECK(h.engine->metrics().finished[at(RequestStatus::COMPLETED)] == 0);
  Dispatch d2 = h.take();
  CHECK(d2.request == next);
  CHECK(d2.worker == d.worker);
}

TEST_CASE("a timed-out worker replaced by the binding settles the request once",
          "[lifecycle][timeout]") {
  ScriptHarness h;
  std::uint32_t bank = h.bank("b", {action("t", false, 10)});
  RequestId timed = h.submit("t");
  RequestId next = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  h.advance_ms(10);
  REQUIRE(h.aborts.size() == 1);
  REQUIRE(h.aborts[0].timed_out);
  // What the Node binding does with a timed_out abort: terminate, report lost, replace.
  h.engine->worker_lost(bank, d.worker, ErrorCode::WORKER_CRASHED, "terminated after timeout");
  h.pump();
  CHECK(h.open_count() == 0);
  h.engine->worker_replaced(bank, d.worker);
  Dispatch d2 = h.take();
  CHECK(d2.request == next);
  // A report from the dead worker is ignored.
  h.finish(d, Outcome::ok(nullptr));
  CHECK(h.settle_count(timed) == 1);
  CHECK(h.status(timed) == RequestStatus::TIMED_OUT);
  CHECK(h.settlement(timed).error == ErrorCode::TIMEOUT);
  CHECK(h.status(next) == RequestStatus::ASSIGNED);
}

TEST_CASE("a timed-out retryable request is retried with a fresh timeout", "[lifecycle][timeout]") {
  EngineConfig config;
  config.retry_base_ms = 5;
  ScriptHarness h(config);
  BankOptions options;
  options.workers = 2;
  h.bank("b", {action("t", true, 10)}, options);
  RequestId id = h.submit("t");
  Dispatch first = h.take();
  h.start(first);
  h.advance_ms(10);
  CHECK(h.status(id) == RequestStatus::PENDING);
  CHECK(h.settle_count(id) == 0);
  h.advance_ms(5);
  Dispatch retry = h.take();
  CHECK(retry.attempt == 2);
  CHECK(retry.worker != first.worker);  // the first worker still runs the abandoned attempt
  h.start(retry);
  h.advance_ns(10 * NS_PER_MS - 1);
  CHECK(h.status(id) == RequestStatus::PROCESSING);
  h.finish(retry, Outcome::ok(nullptr));
  CHECK(h.status(id) == RequestStatus::COMPLETED);
  // The first attempt's late result changes nothing.
  h.finish(first, Outcome::fail(ErrorCode::HANDLER, "late"));
  CHECK(h.status(id) == RequestStatus::COMPLETED);
  CHECK(h.settle_count(id) == 1);
}

// --- cancellation ----------------------------------------------------------------------

TEST_CASE("cancelling a pending or retry-waiting request ends it at once, exactly once",
          "[lifecycle][cancel]") {
  ScriptHarness h;
  h.bank("b", {action("t", true)});

  SECTION("pending: ends at once and is never dispatched") {
    h.submit("t");  // the blocker
    RequestId id = h.submit("t");
    RequestId after = h.submit("t");
    CHECK(h.engine->cancel(id));
    CHECK(h.status(id) == RequestStatus::CANCELLED);
    CHECK(h.settlement(id).error == ErrorCode::CANCELLED);
    CHECK(h.engine->metrics().pending == 1);
    h.finish(h.take());
    Dispatch d = h.take();
    CHECK(d.request == after);
    CHECK(dispatches_of(h, id) == 0);
    CHECK(h.settle_count(id) == 1);
  }
  SECTION("waiting for a retry: ends at once and the retry never happens") {
    RequestId id = h.submit("t");
    h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
    REQUIRE(h.status(id) == RequestStatus::PENDING);
    CHECK(h.engine->cancel(id));
    CHECK(h.status(id) == RequestStatus::CANCELLED);
    h.advance_ms(60'000);
    CHECK(h.open_count() == 0);
    CHECK(dispatches_of(h, id) == 1);
    CHECK(h.settle_count(id) == 1);
    CHECK(h.settlement(id).error == ErrorCode::CANCELLED);
  }
  SECTION("a custom reason is kept") {
    RequestId id = h.submit("t");
    CHECK(h.engine->cancel(id, ErrorCode::SHUTTING_DOWN, "going away"));
    CHECK(h.settlement(id).error == ErrorCode::SHUTTING_DOWN);
  }
}

TEST_CASE(
    "cancelling an assigned or processing attempt ends it at once, the slot frees when the "
    "handler returns",
    "[lifecycle][cancel]") {
  ScriptHarness h;
  std::uint32_t bank = h.bank("b", {action("t", true)});
  bool processing = GENERATE(false, true);
  RequestId id = h.submit("t");
  RequestId queued = h.submit("t");
  Dispatch d = h.take();
  if (processing) h.start(d);
  CHECK(h.engine->cancel(id));
  CHECK(h.status(id) == RequestStatus::CANCELLED);
  CHECK(h.settlement(id).error == ErrorCode::CANCELLED);
  REQUIRE(h.aborts.size() == 1);
  CHECK(h.aborts[0].request == id);
  CHECK(h.aborts[0].attempt == d.attempt);
  CHECK(h.aborts[0].bank == bank);
  CHECK(h.aborts[0].worker == d.worker);
  CHECK_FALSE(h.aborts[0].timed_out);
  // The handler has not returned: its slot is still taken.
  CHECK(h.open_count() == 0);
  CHECK(h.engine->worker_status()[0].inflight == 1);
  CHECK(h.status(queued) == RequestStatus::PENDING);
  // It returns (with a result nobody wants any more).
  h.finish(d, Outcome::ok(nlohmann::json(1)));
  CHECK(h.status(id) == RequestStatus::CANCELLED);
  CHECK(h.settle_count(id) == 1);
  CHECK(h.take().request == queued);
  CHECK(h.engine->metrics().finished[at(RequestStatus::COMPLETED)] == 0);
}

TEST_CASE("cancelling a finished or unknown request does nothing and returns false",
          "[lifecycle][cancel]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  RequestId done = h.submit("t");
  h.finish(h.take());
  RequestId failed = h.submit("t");
  h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
  RequestId cancelled = h.submit("t");
  REQUIRE(h.engine->cancel(cancelled));
  h.pump();

  CHECK_FALSE(h.engine->cancel(done));
  CHECK_FALSE(h.engine->cancel(failed));
  CHECK_FALSE(h.engine->cancel(cancelled));
  CHECK_FALSE(h.engine->cancel(987'654));
  CHECK_FALSE(h.engine->cancel(NO_REQUEST));
  CHECK(h.status(done) == RequestStatus::COMPLETED);
  CHECK(h.status(failed) == RequestStatus::FAILED);
  CHECK(h.settle_count(done) == 1);
  CHECK(h.settle_count(failed) == 1);
  CHECK(h.settle_count(cancelled) == 1);
  CHECK(h.engine->metrics().finished[at(RequestStatus::CANCELLED)] == 1);
}

// --- worker loss -----------------------------------------------------------------------

TEST_CASE("a lost worker fails its started attempts and requeues the unstarted ones",
          "[lifecycle][worker-lost]") {
  EngineConfig config;
  config.aging_step_ms = 0;
  ScriptHarness h(config);
  BankOptions options;
  options.prefetch = 1;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  RequestId running = h.submit("t");
  RequestId prefetched = h.submit("t");
  RequestId queued = h.submit("t");
  REQUIRE(h.open_count() == 2);
  Dispatch d_running = h.take();
  Dispatch d_prefetched = h.take();
  REQUIRE(d_running.request == running);
  REQUIRE(d_prefetched.request == prefetched);
  h.start(d_running);

  h.engine->worker_lost(bank, 0, ErrorCode::WORKER_CRASHED, "gone");
  h.pump();
  CHECK(h.status(running) == RequestStatus::FAILED);
  CHECK(h.settlement(running).error == ErrorCode::WORKER_CRASHED);
  CHECK(h.status(prefetched) == RequestStatus::PENDING);
  CHECK(h.info(prefetched).attempts == 0);
  CHECK(h.settle_count(prefetched) == 0);
  // No work for a lost worker.
  CHECK(h.open_count() == 0);
  CHECK_FALSE(h.engine->worker_status()[0].alive);
  CHECK(h.engine->worker_status()[0].inflight == 0);
  h.advance_ms(10'000);
  CHECK(h.open_count() == 0);
  // Reports from the dead worker change nothing.
  h.finish(d_prefetched, Outcome::ok(nullptr));
  h.finish(d_running, Outcome::ok(nullptr));
  CHECK(h.status(prefetched) == RequestStatus::PENDING);
  CHECK(h.settle_count(running) == 1);

  h.engine->worker_replaced(bank, 0);
  // The requeued attempt kept its place at the head of its level, ahead of `queued`.
  Dispatch again = h.take();
  CHECK(again.request == prefetched);
  CHECK(again.attempt == 1);  // the requeue did not use up an attempt
  CHECK(h.take().request == queued);
  auto status = h.engine->worker_status()[0];
  CHECK(status.alive);
  CHECK(status.restarts == 1);
  std::vector<WorkerState> states;
  for (const auto& e : h.events) {
    if (e.type == EventType::WORKER_STATUS) states.push_back(static_cast<WorkerState>(e.state));
  }
  CHECK(std::count(states.begin(), states.end(), WorkerState::LOST) == 1);
  CHECK(std::count(states.begin(), states.end(), WorkerState::REPLACED) == 1);
}

TEST_CASE("submit_many takes each submit in order and refuses only the bad ones",
          "[lifecycle][submit]") {
  EngineConfig config;
  config.max_queue = 3;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");  // everything stays pending, so the queue bound is reached
  std::vector<SubmitSpec> specs{task_spec("t"), task_spec("nope"), task_spec("t", 11),
                                task_spec("t"), task_spec("t"), task_spec("t")};
  std::vector<Admission> out;
  h.engine->submit_many(specs, out);
  REQUIRE(out.size() == specs.size());
  CHECK(out[0].error == ErrorCode::OK);
  CHECK(out[1].error == ErrorCode::UNKNOWN_TASK);
  CHECK(out[1].message.find("nope") != std::string::npos);
  CHECK(out[2].error == ErrorCode::INVALID_ARGUMENT);
  CHECK(out[3].error == ErrorCode::OK);
  CHECK(out[4].error == ErrorCode::OK);
  CHECK(out[5].error == ErrorCode::QUEUE_FULL);
  CHECK(out[0].id < out[3].id);
  CHECK(out[3].id < out[4].id);
  CHECK(h.engine->metrics().rejected == 3);
  CHECK(h.engine->metrics().total_requests == 3);
  h.engine->resume_bank("b");
  // FIFO within the priority: the order they were given in.
  CHECK(h.run_next().request == out[0].id);
  CHECK(h.run_next().request == out[3].id);
  CHECK(h.run_next().request == out[4].id);
}

TEST_CASE("submit_many with wait_for_room accepts past the bound to wait, refusing only bad input",
          "[lifecycle][submit]") {
  EngineConfig config;
  config.max_queue = 2;
  ScriptHarness h(config);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  std::vector<SubmitSpec> specs{task_spec("t"), task_spec("t"), task_spec("t"), task_spec("nope"),
                                task_spec("t")};
  std::vector<Admission> out;
  h.engine->submit_many(specs, out, true);
  for (std::size_t i : {0, 1, 2, 4}) CHECK(out[i].error == ErrorCode::OK);
  CHECK(out[3].error == ErrorCode::UNKNOWN_TASK);
  CHECK(h.engine->metrics().rejected == 1);
  CHECK(h.engine->metrics().total_requests == 4);
  CHECK(h.engine->metrics().pending == 2);
  CHECK(h.engine->metrics().waiting_for_room == 2);
}

TEST_CASE("a submit may name its task by index", "[lifecycle][submit]") {
  ScriptHarness h;
  h.bank("b", {action("t"), action("u")});
  std::int32_t u = h.engine->task_index("u");
  REQUIRE(u >= 0);
  CHECK(h.engine->task_index("t") != u);
  CHECK(h.engine->task_index("nope") == -1);
  SubmitSpec spec;
  spec.task_index = u;
  RequestId id = h.submit(spec);
  CHECK(h.engine->request(id)->task == "u");
  // An index that names nothing is an unknown task, named by its index.
  SubmitSpec bad;
  bad.task_index = 1'000;
  try {
    h.engine->submit(bad);
    FAIL("expected E_UNKNOWN_TASK");
  } catch (const Error& error) {
    CHECK(error.code() == ErrorCode::UNKNOWN_TASK);
    CHECK(std::string(error.what()).find("#1000") != std::string::npos);
  }
}

TEST_CASE("submit_many over several slices keeps the order", "[lifecycle][submit]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  std::vector<SubmitSpec> specs(200, task_spec("t"));
  std::vector<Admission> out;
  h.engine->submit_many(specs, out);
  REQUIRE(out.size() == 200);
  for (std::size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].error == ErrorCode::OK);
    if (i > 0) CHECK(out[i].id == out[i - 1].id + 1);
  }
  for (const auto& admitted : out) CHECK(h.run_next().request == admitted.id);
}

TEST_CASE("a worker still starting takes no work until it has started",
          "[lifecycle][start-up]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 3;
  options.starting = {1, 2};
  auto bank = h.bank("b", {action("t")}, options);
  RequestId first = h.submit("t");
  RequestId second = h.submit("t");
  // Only worker 0 takes work; the second request waits for it.
  Dispatch d = h.take();
  CHECK(d.request == first);
  CHECK(d.worker == 0);
  CHECK(h.open_count() == 0);
  auto status = h.engine->worker_status();
  CHECK(status[0].alive);
  CHECK_FALSE(status[1].alive);
  CHECK_FALSE(status[2].alive);

  h.engine->worker_started(bank, 2);
  Dispatch joined = h.take();
  CHECK(joined.request == second);
  CHECK(joined.worker == 2);
  // A first start is not a replacement: no restart counted, no 'replaced' event.
  CHECK(h.engine->worker_status()[2].restarts == 0);
  CHECK(std::none_of(h.events.begin(), h.events.end(), [](const Event& e) {
    return e.type == EventType::WORKER_STATUS && e.state == static_cast<std::uint8_t>(WorkerState::REPLACED);
  }));
  h.finish(d);
  h.finish(joined);
  CHECK(h.status(second) == RequestStatus::COMPLETED);
}

TEST_CASE("starting workers must be script workers of the bank", "[lifecycle][start-up]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  options.starting = {2};
  CHECK(code_of([&] { h.bank("b", {action("t")}, options); }) == ErrorCode::INVALID_ARGUMENT);
  options.starting = {-1};
  CHECK(code_of([&] { h.bank("b", {action("t")}, options); }) == ErrorCode::INVALID_ARGUMENT);
  options.starting = {1};
  auto bank = h.bank("b", {action("t")}, options);
  CHECK(code_of([&] { h.engine->worker_started(bank, 5); }) == ErrorCode::INVALID_ARGUMENT);
}

TEST_CASE("a started attempt on a lost worker is retried when allowed",
          "[lifecycle][worker-lost]") {
  EngineConfig config;
  config.retry_base_ms = 50;
  ScriptHarness h(config);
  BankOptions options;
  options.workers = 2;
  std::uint32_t bank = h.bank("b", {action("t", true)}, options);
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  h.engine->worker_lost(bank, d.worker, ErrorCode::WORKER_CRASHED, "gone");
  h.pump();
  CHECK(h.status(id) == RequestStatus::PENDING);
  CHECK(h.settle_count(id) == 0);
  h.advance_ms(50);
  Dispatch retry = h.take();
  CHECK(retry.attempt == 2);
  CHECK(retry.worker != d.worker);  // the lost worker takes nothing
  h.finish(retry);
  CHECK(h.status(id) == RequestStatus::COMPLETED);
}

TEST_CASE("when no held attempt is known to have started, the oldest counts as started",
          "[lifecycle][worker-lost]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 2;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  RequestId a = h.submit("t");
  RequestId b = h.submit("t");
  RequestId c = h.submit("t");
  REQUIRE(h.open_count() == 3);
  h.engine->worker_lost(bank, 0, ErrorCode::WORKER_CRASHED, "gone");
  h.pump();
  CHECK(h.status(a) == RequestStatus::FAILED);
  CHECK(h.settlement(a).error == ErrorCode::WORKER_CRASHED);
  CHECK(h.status(b) == RequestStatus::PENDING);
  CHECK(h.status(c) == RequestStatus::PENDING);
  CHECK(h.info(b).attempts == 0);
  CHECK(h.info(c).attempts == 0);
}

TEST_CASE("a lost worker whose running attempts are known blames exactly those",
          "[lifecycle][worker-lost]") {
  // The worker finished `done` (its result died with it), crashed in `culprit`, and never
  // began `waiting`, though the host had reported the first two as started.
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 2;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  RequestId done = h.submit("t");
  RequestId culprit = h.submit("t");
  RequestId waiting = h.submit("t");
  REQUIRE(h.open_count() == 3);
  Dispatch d_done = h.take();
  Dispatch d_culprit = h.take();
  h.start(d_done);
  h.start(d_culprit);
  std::vector<AttemptRef> running{{culprit, d_culprit.attempt}};
  h.open.clear();  // what the dead worker held is gone with it
  h.engine->worker_lost(bank, 0, ErrorCode::WORKER_CRASHED, "gone", &running);
  h.pump();
  CHECK(h.status(culprit) == RequestStatus::FAILED);
  CHECK(h.settlement(culprit).error == ErrorCode::WORKER_CRASHED);
  for (RequestId innocent : {done, waiting}) {
    CHECK(h.status(innocent) == RequestStatus::PENDING);
    CHECK(h.info(innocent).attempts == 0);
    CHECK(h.settle_count(innocent) == 0);
  }
  CHECK(h.engine->worker_status()[0].tasks_failed == 1);

  h.engine->worker_replaced(bank, 0);
  // Both innocents run again, in their old order, as their first attempt.
  Dispatch first = h.take();
  Dispatch second = h.take();
  CHECK(first.request == done);
  CHECK(second.request == waiting);
  CHECK(first.attempt == 1);
  h.finish(first);
  h.finish(second);
  CHECK(h.status(done) == RequestStatus::COMPLETED);
  CHECK(h.status(waiting) == RequestStatus::COMPLETED);
}

TEST_CASE("a lost worker known to run nothing fails nothing", "[lifecycle][worker-lost]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 1;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  RequestId a = h.submit("t");
  RequestId b = h.submit("t");
  std::vector<AttemptRef> running;
  h.engine->worker_lost(bank, 0, ErrorCode::WORKER_CRASHED, "gone", &running);
  CHECK(h.status(a) == RequestStatus::PENDING);
  CHECK(h.status(b) == RequestStatus::PENDING);
  CHECK(h.engine->metrics().finished[static_cast<std::size_t>(RequestStatus::FAILED)] == 0);
  CHECK(h.engine->worker_status()[0].tasks_failed == 0);
}

TEST_CASE("requeued attempts of a lost worker go to a live worker at once",
          "[lifecycle][worker-lost]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  options.prefetch = 1;
  std::uint32_t bank = h.bank("b", {action("t")}, options);
  for (int i = 0; i < 3; ++i) h.submit("t");
  REQUIRE(h.open_count() == 3);
  std::map<int, std::vector<Dispatch>> by_worker;
  for (const auto& d : h.open) by_worker[d.worker].push_back(d);
  REQUIRE(by_worker.size() == 2);
  const int full = by_worker[0].size() == 2 ? 0 : 1;
  const int other = 1 - full;
  REQUIRE(by_worker[full].size() == 2);
  REQUIRE(by_worker[other].size() == 1);
  Dispatch started = by_worker[full][0];
  Dispatch unstarted = by_worker[full][1];
  h.start(started);
  h.open.clear();

  h.engine->worker_lost(bank, full, ErrorCode::WORKER_CRASHED, "gone");
  CHECK(h.status(started.request) == RequestStatus::FAILED);
  REQUIRE(h.open_count() == 1);
  Dispatch again = h.take();
  CHECK(again.request == unstarted.request);
  CHECK(again.worker == other);
  CHECK(again.attempt == 1);
}

// --- shutdown --------------------------------------------------------------------------

TEST_CASE("shutdown(drain=true) refuses new requests and runs what is queued",
          "[lifecycle][shutdown]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  h.bank("p", {action("u")});
  h.engine->pause_bank("p");
  RequestId running = h.submit("t");
  RequestId queued = h.submit("t");
  RequestId on_paused = h.submit("u");
  h.engine->shutdown(true);
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::SHUTTING_DOWN);
  CHECK(h.engine->metrics().rejected == 1);
  CHECK_FALSE(h.engine->finished());
  CHECK(h.status(queued) == RequestStatus::PENDING);
  CHECK(h.settle_count(queued) == 0);
  std::vector<RequestId> ran;
  for (int guard = 0; guard < 10 && h.open_count() > 0; ++guard) {
    CHECK_FALSE(h.engine->finished());
    Dispatch d = h.take();
    ran.push_back(d.request);
    h.finish(d);
  }
  std::sort(ran.begin(), ran.end());
  CHECK(ran == std::vector<RequestId>{running, queued, on_paused});
  CHECK(h.status(queued) == RequestStatus::COMPLETED);
  CHECK(h.status(on_paused) == RequestStatus::COMPLETED);
  CHECK(h.engine->finished());
  CHECK(h.engine->wait_finished(0));
}

TEST_CASE(
    "shutdown(drain=false) cancels what is queued with E_SHUTTING_DOWN, running work finishes",
    "[lifecycle][shutdown]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  RequestId running = h.submit("t");
  RequestId queued1 = h.submit("t");
  RequestId queued2 = h.submit("t", 9);
  Dispatch d = h.take();
  h.start(d);
  h.engine->shutdown(false);
  h.pump();
  for (RequestId id : {queued1, queued2}) {
    CHECK(h.status(id) == RequestStatus::CANCELLED);
    CHECK(h.settlement(id).error == ErrorCode::SHUTTING_DOWN);
    CHECK(h.settlement(id).status == RequestStatus::CANCELLED);
  }
  CHECK(h.status(running) == RequestStatus::PROCESSING);
  CHECK(h.aborts.empty());  // running attempts are not stopped
  CHECK_FALSE(h.engine->finished());
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::SHUTTING_DOWN);
  h.finish(d, Outcome::ok(nlohmann::json("done")));
  CHECK(h.status(running) == RequestStatus::COMPLETED);
  CHECK(h.open_count() == 0);
  CHECK(h.engine->finished());
  CHECK(h.settle_count(running) == 1);
}

TEST_CASE("running attempts after shutdown are still bounded by their timeouts",
          "[lifecycle][shutdown]") {
  bool drain = GENERATE(true, false);
  ScriptHarness h;
  h.bank("b", {action("t", false, 100)});
  RequestId id = h.submit("t");
  h.start(h.take());
  h.engine->shutdown(drain);
  CHECK_FALSE(h.engine->finished());
  h.advance_ms(100);
  CHECK(h.status(id) == RequestStatus::TIMED_OUT);
  CHECK(h.engine->finished());
}

TEST_CASE("shutting down an idle engine finishes at once", "[lifecycle][shutdown]") {
  bool drain = GENERATE(true, false);
  ScriptHarness h;
  h.bank("b", {action("t")});
  h.submit("t");
  h.finish(h.take());
  CHECK_FALSE(h.engine->finished());  // not before shutdown, even with nothing live
  h.engine->shutdown(drain);
  CHECK(h.engine->finished());
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::SHUTTING_DOWN);
}

// --- history ---------------------------------------------------------------------------

TEST_CASE("finished requests stay queryable until history_limit newer ones finished",
          "[lifecycle][history]") {
  EngineConfig config;
  config.history_limit = 5;
  ScriptHarness h(config);
  BankOptions options;
  options.workers = 2;
  h.bank("b", {action("t")}, options);
  RequestId live = h.submit("t");
  Dispatch held = h.take();  // stays live throughout
  std::vector<RequestId> done;
  for (int i = 0; i < 8; ++i) {
    done.push_back(h.submit("t"));
    h.finish(h.take());
  }
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(h.engine->request(done[static_cast<std::size_t>(i)]).has_value());
  for (int i = 3; i < 8; ++i)
    CHECK(h.engine->request(done[static_cast<std::size_t>(i)]).has_value());
  CHECK(h.engine->request(live).has_value());
  CHECK(h.engine->metrics().stored_requests == 6);
  // The evicted records come out with the outbox, to be freed on the draining thread.
  CHECK(h.evicted == std::vector<RequestId>(done.begin(), done.begin() + 3));
  // Evicted requests can no longer be cancelled (they are unknown), and settled only once.
  CHECK_FALSE(h.engine->cancel(done[0]));
  for (RequestId id : done) CHECK(h.settle_count(id) == 1);
  h.finish(held);
  CHECK(h.engine->metrics().stored_requests == 5);
  CHECK_FALSE(h.engine->request(done[3]).has_value());
}

TEST_CASE("a result that arrives past the deadline is a timeout even before the timer fires",
          "[lifecycle][timeout]") {
  ScriptHarness h;
  h.bank("b", {action("t", false, 10)});
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  h.clock->advance_ns(10 * NS_PER_MS);  // no tick(): the timer has not fired
  h.finish(d, Outcome::ok(nlohmann::json(1)));
  CHECK(h.status(id) == RequestStatus::TIMED_OUT);
  CHECK(h.settlement(id).error == ErrorCode::TIMEOUT);
  h.advance_ns(0);  // the stale timer changes nothing
  CHECK(h.settle_count(id) == 1);
}

TEST_CASE("complete_many applies a worker's batch of results in order and refills its slots once",
          "[lifecycle][complete]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 2;  // one running and two held on the one worker
  h.bank("b", {action("t")}, options);
  std::vector<RequestId> ids;
  for (int i = 0; i < 6; ++i) {
    SubmitSpec spec = task_spec("t");
    if (i == 2) spec.timeout_ms = 10;
    ids.push_back(h.submit(std::move(spec)));
  }
  REQUIRE(h.open_count() == 3);
  Dispatch first = h.take();
  Dispatch second = h.take();
  Dispatch third = h.take();
  // The third attempt ran past its deadline; a report for an attempt the worker no longer
  // holds (the first, reported twice) is ignored, not applied twice.
  h.start(third);
  h.clock->advance_ns(10 * NS_PER_MS);
  std::vector<Completion> results;
  results.push_back({first.request, first.attempt, Outcome::ok(nlohmann::json(1))});
  results.push_back({second.request, second.attempt, Outcome::fail(ErrorCode::HANDLER, "second failed")});
  results.push_back({first.request, first.attempt, Outcome::ok(nlohmann::json(99))});
  results.push_back({third.request, third.attempt, Outcome::ok(nlohmann::json(3))});
  const std::size_t settled_before = h.settlements.size();
  h.engine->complete_many(first.bank, first.worker, results);
  h.pump();
  REQUIRE(h.settlements.size() == settled_before + 3);
  CHECK(h.settlements[settled_before].request == first.request);
  CHECK(h.settlements[settled_before].error == ErrorCode::OK);
  CHECK(h.settlements[settled_before].result == nlohmann::json(1));
  CHECK(h.settlements[settled_before + 1].request == second.request);
  CHECK(h.settlements[settled_before + 1].error == ErrorCode::HANDLER);
  CHECK(h.settlements[settled_before + 1].message == "second failed");
  CHECK(h.settlements[settled_before + 2].request == third.request);
  CHECK(h.settlements[settled_before + 2].error == ErrorCode::TIMEOUT);
  CHECK(h.settle_count(first.request) == 1);
  // The three freed slots went to the next three requests, in order, on the same worker.
  REQUIRE(h.open_count() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(h.open[i].request == ids[3 + i]);
    CHECK(h.open[i].worker == first.worker);
  }
  CHECK(h.engine->worker_status()[0].inflight == 3);
}

TEST_CASE("started_many marks the listed current attempts processing and skips the rest",
          "[lifecycle][start]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  h.bank("b", {action("t")}, options);
  RequestId a = h.submit("t");
  RequestId b = h.submit("t");
  RequestId queued = h.submit("t");
  Dispatch da = h.take();
  Dispatch db = h.take();
  const auto stale = static_cast<std::uint8_t>(db.attempt + 1);
  h.engine->started_many({{da.request, da.attempt}, {db.request, stale}, {queued, 1}, {999'999, 1}});
  h.pump();
  CHECK(h.status(a) == RequestStatus::PROCESSING);
  CHECK(h.status(b) == RequestStatus::ASSIGNED);
  CHECK(h.status(queued) == RequestStatus::PENDING);
  CHECK(h.count_events(EventType::REQUEST_STARTED) == 1);
}
