// Waiting for room (SubmitSpec::wait_for_room, queueFullBehavior 'wait'): over the queue
// bound a request is accepted to wait, joins the queue in order as room frees, can be
// cancelled where it waits, and ends at shutdown.
#include <catch2/catch.hpp>

#include "engine_fixture.h"

using namespace threadbank;
using namespace threadbank::testing;

namespace {

SubmitSpec waiting(const std::string& task) {
  SubmitSpec spec = task_spec(task);
  spec.wait_for_room = true;
  return spec;
}

ScriptHarness bounded(std::size_t max_queue) {
  EngineConfig config;
  config.max_queue = max_queue;
  return ScriptHarness(config);
}

}  // namespace

TEST_CASE("over the bound a waiting request is accepted, and joins the queue in order as room frees",
          "[waiting]") {
  ScriptHarness h = bounded(2);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  std::vector<RequestId> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(h.submit(waiting("t")));
  SystemMetrics m = h.engine->metrics();
  CHECK(m.pending == 2);
  CHECK(m.waiting_for_room == 4);
  CHECK(m.rejected == 0);
  for (RequestId id : ids) CHECK(h.status(id) == RequestStatus::PENDING);
  // A request that does not wait is still refused while the queue is full.
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::QUEUE_FULL);

  h.engine->resume_bank("b");
  for (int i = 0; i < 6; ++i) h.run_next();
  CHECK(h.dispatch_order() == ids);
  CHECK(h.engine->metrics().waiting_for_room == 0);
}

TEST_CASE("once any request waits, later waiting ones wait behind it even if room frees",
          "[waiting]") {
  ScriptHarness h = bounded(1);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  RequestId queued = h.submit(waiting("t"));
  RequestId first_waiting = h.submit(waiting("t"));
  // Room frees (the queued one is cancelled): the waiting one takes it, not a newcomer.
  h.engine->cancel(queued);
  RequestId newcomer = h.submit(waiting("t"));
  CHECK(h.engine->metrics().pending == 1);
  CHECK(h.engine->metrics().waiting_for_room == 1);
  h.engine->resume_bank("b");
  h.run_next();
  h.run_next();
  CHECK(h.dispatch_order() == std::vector<RequestId>{first_waiting, newcomer});
}

TEST_CASE("a waiting request can be cancelled where it waits, and is skipped later", "[waiting]") {
  ScriptHarness h = bounded(1);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  RequestId queued = h.submit(waiting("t"));
  RequestId cancelled = h.submit(waiting("t"));
  RequestId after = h.submit(waiting("t"));
  CHECK(h.engine->cancel(cancelled));
  CHECK(h.settlement(cancelled).error == ErrorCode::CANCELLED);
  CHECK(h.engine->metrics().waiting_for_room == 1);
  h.engine->resume_bank("b");
  h.run_next();
  h.run_next();
  CHECK(h.dispatch_order() == std::vector<RequestId>{queued, after});
  CHECK(h.settle_count(cancelled) == 1);
}

TEST_CASE("shutdown ends the requests still waiting for room, drain or not", "[waiting]") {
  bool drain = GENERATE(true, false);
  ScriptHarness h = bounded(1);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  RequestId queued = h.submit(waiting("t"));
  RequestId stuck = h.submit(waiting("t"));
  h.engine->shutdown(drain);
  h.pump();
  CHECK(h.settlement(stuck).error == ErrorCode::SHUTTING_DOWN);
  CHECK(h.engine->metrics().waiting_for_room == 0);
  if (drain) {
    h.run_next();
    CHECK(h.settlement(queued).error == ErrorCode::OK);
  } else {
    CHECK(h.settlement(queued).error == ErrorCode::SHUTTING_DOWN);
  }
  CHECK(h.engine->finished());
}

TEST_CASE("a refused submission is refused before it waits", "[waiting]") {
  ScriptHarness h = bounded(1);
  h.bank("b", {action("t")});
  h.engine->pause_bank("b");
  h.submit(waiting("t"));
  CHECK(code_of([&] { h.engine->submit(waiting("nope")); }) == ErrorCode::UNKNOWN_TASK);
  SubmitSpec bad = waiting("t");
  bad.priority = 99;
  CHECK(code_of([&] { h.engine->submit(bad); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(h.engine->metrics().waiting_for_room == 0);
}
