// Timestamps, retries and backoff, timeouts, cancellation in each state, worker loss,
// shutdown. All on the manual clock.
#include <catch2/catch.hpp>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::Harness;

namespace {

ActionSpec timed(const std::string& id, std::int64_t timeout_ms, bool retryable = false) {
  ActionSpec a = action(id, retryable);
  a.timeout_ms = timeout_ms;
  return a;
}

}  // namespace

TEST_CASE("each transition records its time", "[lifecycle]") {
  Harness h;
  h.bank("b", 1, {action("t")});
  std::int64_t t0 = h.clock->now_ns();
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.clock->advance_ns(5 * NS_PER_MS);
  h.engine->started(d.request, d.attempt);
  h.clock->advance_ns(7 * NS_PER_MS);
  h.finish(d);
  auto info = *h.engine->request(id);
  CHECK(info.status == RequestStatus::COMPLETED);
  CHECK(info.at_ns[0] == t0);
  CHECK(info.at_ns[1] == t0);
  CHECK(info.at_ns[2] == t0 + 5 * NS_PER_MS);
  CHECK(info.at_ns[3] == t0 + 12 * NS_PER_MS);
  CHECK(h.settle_count[id] == 1);
}

TEST_CASE("retryable actions retry with exponential backoff, exactly on time", "[lifecycle][retry]") {
  EngineConfig config;
  config.retry_base_ms = 100;
  config.retry_max_ms = 300;
  config.default_retries = 3;
  Harness h(config);
  h.bank("b", 1, {action("flaky", true), action("plain")});
  RequestId id = h.submit("flaky");
  h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "1"));
  // Retry n waits min(100 * 2^(n-1), 300): 100, 200, 300.
  for (std::int64_t wait : {100, 200, 300}) {
    h.advance_ms(wait - 1);
    CHECK(h.dispatches.empty());
    CHECK(h.status(id) == RequestStatus::PENDING);
    h.advance_ms(1);
    REQUIRE(h.dispatches.size() == 1);
    h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "again"));
  }
  CHECK(h.status(id) == RequestStatus::FAILED);
  CHECK(h.engine->request(id)->attempts == 4);
  CHECK(h.settled[id].error == ErrorCode::HANDLER);
  CHECK(h.settle_count[id] == 1);
  CHECK(h.engine->metrics().retries == 3);

  SECTION("non-retryable actions do not retry; an explicit retries option wins") {
    RequestId plain = h.submit("plain");
    h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
    CHECK(h.status(plain) == RequestStatus::FAILED);
    SubmitSpec spec;
    spec.task = "plain";
    spec.retries = 1;
    RequestId explicit_retry = h.engine->submit(spec);
    h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
    h.advance_ms(100);
    h.finish(h.take());
    CHECK(h.status(explicit_retry) == RequestStatus::COMPLETED);
  }
}

TEST_CASE("cancellation and invalid params are never retried", "[lifecycle][retry]") {
  Harness h;
  h.bank("b", 1, {action("flaky", true)});
  RequestId id = h.submit("flaky");
  h.finish(h.take(), Outcome::fail(ErrorCode::INVALID_PARAMS, "bad"));
  CHECK(h.status(id) == RequestStatus::FAILED);
  CHECK(h.engine->metrics().retries == 0);
}

TEST_CASE("timeouts count from assignment, not from submission", "[lifecycle][timeout]") {
  Harness h;
  h.bank("b", 1, {timed("t", 50)});
  RequestId first = h.submit("t");
  RequestId second = h.submit("t");
  Dispatch d1 = h.take();
  h.advance_ms(40);
  h.finish(d1);  // second is assigned now, at t=40
  h.advance_ms(49);
  CHECK(h.status(second) == RequestStatus::ASSIGNED);
  h.advance_ms(1);
  CHECK(h.status(second) == RequestStatus::TIMED_OUT);
  CHECK(h.settled[second].error == ErrorCode::TIMEOUT);
  REQUIRE(h.aborts.size() == 1);
  CHECK(h.aborts[0].request == second);
  CHECK(h.aborts[0].timed_out);
  CHECK(h.status(first) == RequestStatus::COMPLETED);
}

TEST_CASE("a late completion after a timeout is ignored but frees the worker", "[lifecycle][timeout]") {
  Harness h;
  h.bank("b", 1, {timed("t", 10)});
  RequestId late = h.submit("t");
  RequestId next = h.submit("t");
  Dispatch d = h.take();
  h.advance_ms(10);
  CHECK(h.status(late) == RequestStatus::TIMED_OUT);
  h.pump();
  CHECK(h.dispatches.empty());  // the worker is still busy with the abandoned attempt
  h.finish(d, Outcome::ok(nlohmann::json(1)));
  CHECK(h.status(late) == RequestStatus::TIMED_OUT);
  CHECK(h.settle_count[late] == 1);
  CHECK(h.take().request == next);
}

TEST_CASE("a timed-out retryable request is retried", "[lifecycle][timeout]") {
  EngineConfig config;
  config.retry_base_ms = 1;
  Harness h(config);
  h.bank("b", 2, {timed("t", 10, true)});
  RequestId id = h.submit("t");
  h.take();
  h.advance_ms(10);
  CHECK(h.status(id) == RequestStatus::PENDING);
  h.advance_ms(1);
  Dispatch retry = h.take();
  CHECK(retry.attempt == 2);
  CHECK(retry.worker == 1);  // worker 0 still runs the abandoned attempt
  h.finish(retry);
  CHECK(h.status(id) == RequestStatus::COMPLETED);
}

TEST_CASE("cancellation settles exactly once in every state", "[lifecycle][cancel]") {
  Harness h;
  h.bank("b", 1, {action("t", true)});

  SECTION("pending") {
    RequestId blocker = h.submit("t");
    RequestId id = h.submit("t");
    CHECK(h.engine->cancel(id));
    h.pump();
    CHECK(h.status(id) == RequestStatus::CANCELLED);
    h.finish(h.take());  // the blocker; the cancelled one is never dispatched
    h.pump();
    CHECK(h.dispatches.empty());
    CHECK(h.settle_count[id] == 1);
    (void)blocker;
  }
  SECTION("waiting for a retry") {
    RequestId id = h.submit("t");
    h.finish(h.take(), Outcome::fail(ErrorCode::HANDLER, "x"));
    CHECK(h.engine->cancel(id));
    h.advance_ms(10'000);
    CHECK(h.dispatches.empty());
    CHECK(h.status(id) == RequestStatus::CANCELLED);
    CHECK(h.settle_count[id] == 1);
  }
  SECTION("assigned or processing") {
    RequestId id = h.submit("t");
    Dispatch d = h.take();
    bool processing = GENERATE(false, true);
    if (processing) h.engine->started(d.request, d.attempt);
    CHECK(h.engine->cancel(id));
    h.pump();
    REQUIRE(h.aborts.size() == 1);
    CHECK_FALSE(h.aborts[0].timed_out);
    h.finish(d, Outcome::ok(nlohmann::json(1)));  // the handler returns anyway
    CHECK(h.status(id) == RequestStatus::CANCELLED);
    CHECK(h.settle_count[id] == 1);
    CHECK(h.engine->worker_status()[0].inflight == 0);
  }
  SECTION("finished") {
    RequestId id = h.submit("t");
    h.finish(h.take());
    CHECK_FALSE(h.engine->cancel(id));
    CHECK(h.status(id) == RequestStatus::COMPLETED);
    CHECK(h.settle_count[id] == 1);
  }
}

TEST_CASE("a lost worker fails started attempts and requeues prefetched ones", "[lifecycle][crash]") {
  Harness h;
  h.bank("b", 1, {action("t")}, 1, 0, /*prefetch=*/1);
  RequestId running = h.submit("t");
  RequestId prefetched = h.submit("t");
  h.pump();
  REQUIRE(h.dispatches.size() == 2);
  h.engine->started(running, 1);
  h.dispatches.clear();
  h.engine->worker_lost(0, 0, ErrorCode::WORKER_CRASHED, "gone");
  h.pump();
  CHECK(h.status(running) == RequestStatus::FAILED);
  CHECK(h.settled[running].error == ErrorCode::WORKER_CRASHED);
  CHECK(h.status(prefetched) == RequestStatus::PENDING);
  CHECK(h.dispatches.empty());  // no work for a lost worker
  h.engine->worker_replaced(0, 0);
  Dispatch again = h.take();
  CHECK(again.request == prefetched);
  CHECK(again.attempt == 1);  // the requeue did not use up an attempt
  CHECK(h.engine->worker_status()[0].restarts == 1);

  SECTION("when none is known to have started, the oldest is taken as started") {
    Harness g;
    g.bank("b", 1, {action("t")}, 1, 0, 1);
    RequestId a = g.submit("t");
    RequestId b = g.submit("t");
    g.engine->worker_lost(0, 0, ErrorCode::WORKER_CRASHED, "gone");
    g.pump();
    CHECK(g.status(a) == RequestStatus::FAILED);
    CHECK(g.status(b) == RequestStatus::PENDING);
  }
}

TEST_CASE("shutdown with drain runs what is queued; without drain cancels it", "[lifecycle][shutdown]") {
  Harness h;
  h.bank("b", 1, {action("t")});
  RequestId running = h.submit("t");
  RequestId queued = h.submit("t");
  bool drain = GENERATE(true, false);
  h.engine->shutdown(drain);
  try {
    h.submit("t");
    FAIL("expected E_SHUTTING_DOWN");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::SHUTTING_DOWN);
  }
  CHECK_FALSE(h.engine->finished());
  h.finish(h.take());
  if (drain) {
    CHECK(h.status(queued) == RequestStatus::ASSIGNED);
    h.finish(h.take());
    CHECK(h.status(queued) == RequestStatus::COMPLETED);
  } else {
    CHECK(h.status(queued) == RequestStatus::CANCELLED);
    CHECK(h.settled[queued].error == ErrorCode::SHUTTING_DOWN);
  }
  CHECK(h.status(running) == RequestStatus::COMPLETED);
  CHECK(h.engine->finished());
}

TEST_CASE("bad submissions are rejected with stable codes and queue nothing", "[lifecycle][errors]") {
  EngineConfig config;
  config.max_payload_bytes = 100;
  Harness h(config);
  ActionSpec typed = action("typed");
  typed.parameters.push_back(ParamSpec{"n", ParamType::INTEGER, true, ""});
  h.bank("b", 1, {action("t"), typed});
  auto code_of = [&](SubmitSpec spec) {
    try {
      h.engine->submit(std::move(spec));
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::OK;
  };
  SubmitSpec s;
  s.task = "nope";
  CHECK(code_of(s) == ErrorCode::UNKNOWN_TASK);
  s.task = "t";
  s.priority = 11;
  CHECK(code_of(s) == ErrorCode::INVALID_ARGUMENT);
  s.priority = -1;
  CHECK(code_of(s) == ErrorCode::INVALID_ARGUMENT);
  s.priority = 5;
  s.timeout_ms = -1;
  CHECK(code_of(s) == ErrorCode::INVALID_ARGUMENT);
  s.timeout_ms.reset();
  s.retries = 1000;
  CHECK(code_of(s) == ErrorCode::INVALID_ARGUMENT);
  s.retries.reset();
  s.payload_bytes = 101;
  CHECK(code_of(s) == ErrorCode::PAYLOAD_TOO_LARGE);
  s.payload_bytes = 0;
  s.bank = "zzz";
  CHECK(code_of(s) == ErrorCode::UNKNOWN_BANK);
  SubmitSpec typed_spec;
  typed_spec.task = "typed";
  typed_spec.params = nlohmann::json{{"n", "x"}};
  CHECK(code_of(typed_spec) == ErrorCode::INVALID_PARAMS);
  CHECK(h.engine->metrics().total_requests == 0);
  CHECK(h.engine->metrics().rejected == 8);
  h.pump();
  CHECK(h.dispatches.empty());
}
