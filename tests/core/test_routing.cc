// Routing: which bank a submission lands on, and the submissions refused at submit time
// (each with a stable code, and with nothing queued). See docs/scheduling.md, "Routing".
#include <catch2/catch.hpp>

#include <climits>
#include <limits>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::BankOptions;
using threadbank::testing::code_of;
using threadbank::testing::ScriptHarness;
using threadbank::testing::task_spec;

namespace {

SubmitSpec spec_for(const std::string& task) {
  SubmitSpec spec;
  spec.task = task;
  return spec;
}

/// Submits `spec`, expects `code`, and checks that the refusal left no trace: nothing
/// accepted, queued, dispatched, settled or announced, and one more rejection counted.
void expect_rejected(ScriptHarness& h, const SubmitSpec& spec, ErrorCode code) {
  h.pump();
  SystemMetrics before = h.engine->metrics();
  std::size_t dispatches = h.dispatched.size();
  std::size_t settlements = h.settlements.size();
  std::size_t submitted_events = h.count_events(EventType::REQUEST_SUBMITTED);
  CHECK(code_of([&] { h.engine->submit(spec); }) == code);
  h.pump();
  SystemMetrics after = h.engine->metrics();
  CHECK(after.total_requests == before.total_requests);
  CHECK(after.pending == before.pending);
  CHECK(after.in_flight == before.in_flight);
  CHECK(after.rejected == before.rejected + 1);
  CHECK(h.dispatched.size() == dispatches);
  CHECK(h.settlements.size() == settlements);
  CHECK(h.count_events(EventType::REQUEST_SUBMITTED) == submitted_events);
}

}  // namespace

TEST_CASE("each action id routes to the bank whose manifest lists it", "[routing]") {
  ScriptHarness h;
  std::uint32_t a = h.bank("A", {action("x")});
  std::uint32_t b = h.bank("B", {action("y"), action("z")});
  REQUIRE(a != b);
  CHECK(h.engine->bank_id(a) == "A");
  CHECK(h.engine->bank_id(b) == "B");

  RequestId on_a = h.submit("x");
  RequestId on_b = h.submit("z");
  Dispatch da = h.take();
  Dispatch db = h.take();
  CHECK(da.request == on_a);
  CHECK(da.bank == a);
  REQUIRE(da.action != nullptr);
  CHECK(*da.action == "x");
  CHECK(db.request == on_b);
  CHECK(db.bank == b);
  REQUIRE(db.action != nullptr);
  CHECK(*db.action == "z");
  CHECK(h.info(on_a).bank == "A");
  CHECK(h.info(on_b).bank == "B");
  CHECK(h.info(on_b).task == "z");
  // Script actions never carry params out of JavaScript.
  CHECK(da.params == nullptr);
}

TEST_CASE(
    "several banks serving a task: the lowest (pending + in_flight) / capacity wins, ties to "
    "the first registered",
    "[routing]") {
  ScriptHarness h;
  BankOptions one;
  one.workers = 1;
  BankOptions three;
  three.workers = 3;
  h.bank("A", {action("t")}, one);
  h.bank("B", {action("t")}, three);
  std::vector<std::string> banks;
  for (int i = 0; i < 6; ++i) banks.push_back(h.info(h.submit("t")).bank);
  // Loads before each pick (A cap 1, B cap 3):
  //   0/1 vs 0/3 tie -> A;  1 vs 0 -> B;  1 vs 1/3 -> B;  1 vs 2/3 -> B;
  //   1 vs 3/3 tie -> A;    2 vs 1  -> B.
  CHECK(banks == std::vector<std::string>{"A", "B", "B", "B", "A", "B"});
}

TEST_CASE("an unknown task is refused with E_UNKNOWN_TASK and nothing is queued",
          "[routing][errors]") {
  ScriptHarness h;
  h.bank("A", {action("t")});
  h.engine->pause_bank("A");
  h.submit("t");  // something legitimately pending, so "unchanged" is not just "zero"
  REQUIRE(h.engine->metrics().pending == 1);
  expect_rejected(h, spec_for("nope"), ErrorCode::UNKNOWN_TASK);
  expect_rejected(h, spec_for("T"), ErrorCode::UNKNOWN_TASK);  // ids are case-sensitive
  CHECK(h.engine->metrics().pending == 1);
  CHECK(h.engine->banks()[0].queue_depth == 1);
}

TEST_CASE("register_task adds an alias that routes to the named action", "[routing]") {
  ScriptHarness h;
  std::uint32_t a = h.bank("A", {action("x"), action("y")});
  std::uint32_t b = h.bank("B", {action("w")});
  h.engine->register_task("resize", "A", "y");
  RequestId id = h.submit("resize");
  Dispatch d = h.take();
  CHECK(d.request == id);
  CHECK(d.bank == a);
  REQUIRE(d.action != nullptr);
  CHECK(*d.action == "y");
  CHECK(h.info(id).task == "resize");
  h.finish(d);
  CHECK(h.status(id) == RequestStatus::COMPLETED);
  // The action's own id still routes too.
  RequestId own = h.submit("y");
  Dispatch d2 = h.take();
  CHECK(d2.request == own);
  CHECK(*d2.action == "y");

  SECTION("an alias may add a second bank to a task") {
    h.engine->register_task("x", "B", "w");
    // A is busy with "y" (load 1/1), B is idle: the next "x" goes to B and runs "w".
    RequestId second = h.submit("x");
    Dispatch on_b = h.take();
    CHECK(on_b.request == second);
    CHECK(on_b.bank == b);
    REQUIRE(on_b.action != nullptr);
    CHECK(*on_b.action == "w");
  }
  SECTION("an alias to an unknown bank or action is refused and routes nowhere") {
    CHECK(code_of([&] { h.engine->register_task("ghost", "nope", "x"); }) ==
          ErrorCode::UNKNOWN_BANK);
    CHECK(code_of([&] { h.engine->register_task("ghost", "A", "nope"); }) != ErrorCode::OK);
    expect_rejected(h, spec_for("ghost"), ErrorCode::UNKNOWN_TASK);
  }
}

TEST_CASE("a request may pin a bank", "[routing]") {
  ScriptHarness h;
  h.bank("A", {action("t")});
  h.bank("B", {action("t"), action("only_b")});
  h.submit("t");  // to A (tie)
  h.submit("t");  // to B
  // Both banks are at load 1; A would win the tie, but the pin says B.
  SubmitSpec pinned = spec_for("t");
  pinned.bank = "B";
  RequestId id = h.submit(pinned);
  CHECK(h.info(id).bank == "B");
  CHECK(h.engine->banks()[1].queue_depth == 1);
  CHECK(h.engine->banks()[0].queue_depth == 0);

  SECTION("pinning an unknown bank is E_UNKNOWN_BANK") {
    SubmitSpec bad = spec_for("t");
    bad.bank = "nope";
    expect_rejected(h, bad, ErrorCode::UNKNOWN_BANK);
  }
  SECTION("pinning a bank that does not serve the task is refused") {
    SubmitSpec bad = spec_for("only_b");
    bad.bank = "A";
    h.pump();
    auto before = h.engine->metrics();
    CHECK(code_of([&] { h.engine->submit(bad); }) != ErrorCode::OK);
    CHECK(h.engine->metrics().total_requests == before.total_requests);
    CHECK(h.engine->metrics().pending == before.pending);
  }
}

TEST_CASE("paused banks still take requests, draining banks take none", "[routing]") {
  ScriptHarness h;
  h.bank("A", {action("t"), action("only_a")});
  h.bank("B", {action("t")});

  SECTION("paused: the request is accepted and queued") {
    h.engine->pause_bank("A");
    RequestId id = h.submit("only_a");
    CHECK(h.status(id) == RequestStatus::PENDING);
    CHECK(h.engine->banks()[0].queue_depth == 1);
    CHECK(h.open_count() == 0);
  }
  SECTION("draining: new requests go to another bank even when it is busier") {
    RequestId running_on_a = h.submit("only_a");  // A: one in flight
    h.engine->pause_bank("A");
    RequestId queued_on_a = h.submit("only_a");  // A: one queued -> load 2
    SubmitSpec to_b = spec_for("t");
    to_b.bank = "B";
    for (int i = 0; i < 3; ++i) h.submit(to_b);  // B: one in flight, two queued -> load 3
    h.engine->drain_bank("A");
    CHECK(h.engine->banks()[0].status == BankStatus::DRAINING);
    // A is less loaded, but draining banks take no new requests.
    RequestId routed = h.submit("t");
    CHECK(h.info(routed).bank == "B");
    // A task served only by a draining bank is refused, and nothing is queued.
    h.pump();
    auto before = h.engine->metrics();
    CHECK(code_of([&] { h.engine->submit(spec_for("only_a")); }) != ErrorCode::OK);
    // Pinning a draining bank is refused as well.
    SubmitSpec pinned = spec_for("t");
    pinned.bank = "A";
    CHECK(code_of([&] { h.engine->submit(pinned); }) != ErrorCode::OK);
    CHECK(h.engine->metrics().total_requests == before.total_requests);
    CHECK(h.engine->metrics().pending == before.pending);
    CHECK(h.engine->banks()[0].queue_depth == 1);
    // What the draining bank already had still runs to completion (draining a paused
    // bank finishes its queue).
    for (int guard = 0; guard < 20 && !is_final(h.status(queued_on_a)); ++guard) {
      h.pump();
      if (h.open.empty()) break;
      h.finish(h.take());
    }
    CHECK(h.status(running_on_a) == RequestStatus::COMPLETED);
    CHECK(h.status(queued_on_a) == RequestStatus::COMPLETED);
  }
}

TEST_CASE("operations naming an unknown bank fail with E_UNKNOWN_BANK", "[routing][errors]") {
  ScriptHarness h;
  h.bank("A", {action("t")});
  CHECK(code_of([&] { h.engine->pause_bank("nope"); }) == ErrorCode::UNKNOWN_BANK);
  CHECK(code_of([&] { h.engine->resume_bank("nope"); }) == ErrorCode::UNKNOWN_BANK);
  CHECK(code_of([&] { h.engine->drain_bank("nope"); }) == ErrorCode::UNKNOWN_BANK);
  CHECK(code_of([&] { h.engine->set_concurrency("nope", 2); }) == ErrorCode::UNKNOWN_BANK);
  CHECK(code_of([&] { h.engine->register_task("t2", "nope", "t"); }) == ErrorCode::UNKNOWN_BANK);
  CHECK(code_of([&] { h.engine->balance_report("nope"); }) == ErrorCode::UNKNOWN_BANK);
  CHECK(code_of([&] { h.engine->bank_id(7); }) == ErrorCode::UNKNOWN_BANK);
  // None of these touched the real bank.
  CHECK(h.engine->banks().size() == 1);
  CHECK(h.engine->banks()[0].status == BankStatus::ACTIVE);
}

TEST_CASE("registering a bank id twice is E_DUPLICATE_BANK and changes nothing",
          "[routing][errors]") {
  ScriptHarness h;
  h.bank("A", {action("t")});
  CHECK(code_of([&] { h.bank("A", {action("other")}); }) == ErrorCode::DUPLICATE_BANK);
  CHECK(h.engine->banks().size() == 1);
  CHECK(h.engine->banks()[0].actions == std::vector<std::string>{"t"});
  // The duplicate's actions never became routable.
  expect_rejected(h, spec_for("other"), ErrorCode::UNKNOWN_TASK);
  // The original still works.
  RequestId id = h.submit("t");
  h.finish(h.take());
  CHECK(h.status(id) == RequestStatus::COMPLETED);
}

TEST_CASE("bank options out of range are E_INVALID_ARGUMENT", "[routing][errors]") {
  ScriptHarness h;
  BankOptions none;
  none.workers = 0;
  CHECK(code_of([&] { h.bank("A", {action("t")}, none); }) == ErrorCode::INVALID_ARGUMENT);
  BankOptions negative;
  negative.workers = -3;
  CHECK(code_of([&] { h.bank("B", {action("t")}, negative); }) == ErrorCode::INVALID_ARGUMENT);
  CHECK(h.engine->banks().empty());
  expect_rejected(h, spec_for("t"), ErrorCode::UNKNOWN_TASK);
}

TEST_CASE("params that do not match an action's declared parameters are E_INVALID_PARAMS",
          "[routing][errors]") {
  ScriptHarness h;
  ActionSpec typed = action("typed");
  typed.parameters.push_back(ParamSpec{"n", ParamType::INTEGER, true, ""});
  typed.parameters.push_back(ParamSpec{"label", ParamType::STRING, false, ""});
  h.bank("A", {typed, action("free")});

  auto with = [](const std::string& task, nlohmann::json params) {
    SubmitSpec spec = spec_for(task);
    spec.params = std::move(params);
    return spec;
  };
  expect_rejected(h, with("typed", {{"n", "three"}}), ErrorCode::INVALID_PARAMS);
  expect_rejected(h, with("typed", {{"label", "x"}}), ErrorCode::INVALID_PARAMS);  // n missing
  expect_rejected(h, with("typed", {{"n", 3}, {"label", 4}}), ErrorCode::INVALID_PARAMS);
  expect_rejected(h, with("typed", nlohmann::json::array({1, 2})), ErrorCode::INVALID_PARAMS);
  expect_rejected(h, with("typed", nlohmann::json(7)), ErrorCode::INVALID_PARAMS);

  // Matching params are accepted; so is anything object-shaped for an action with no
  // declared parameters.
  RequestId ok = h.submit(with("typed", {{"n", 3}, {"label", "x"}}));
  RequestId free = h.submit(with("free", {{"whatever", {1, 2, 3}}}));
  CHECK(h.status(ok) == RequestStatus::ASSIGNED);
  CHECK(h.status(free) == RequestStatus::PENDING);
  CHECK(h.engine->metrics().total_requests == 2);
}

TEST_CASE("priorities outside 0..10 and negative timeouts or retries are E_INVALID_ARGUMENT",
          "[routing][errors]") {
  ScriptHarness h;
  h.bank("A", {action("t")});
  for (int priority : {-1, 11, INT_MIN, INT_MAX, 100}) {
    INFO("priority " << priority);
    SubmitSpec spec = spec_for("t");
    spec.priority = priority;
    expect_rejected(h, spec, ErrorCode::INVALID_ARGUMENT);
  }
  for (std::int64_t timeout :
       {std::int64_t{-1}, std::int64_t{-1000}, std::numeric_limits<std::int64_t>::min()}) {
    INFO("timeout " << timeout);
    SubmitSpec spec = spec_for("t");
    spec.timeout_ms = timeout;
    expect_rejected(h, spec, ErrorCode::INVALID_ARGUMENT);
  }
  {
    SubmitSpec spec = spec_for("t");
    spec.retries = -1;
    expect_rejected(h, spec, ErrorCode::INVALID_ARGUMENT);
  }
  // The bounds themselves, a zero timeout ("none") and zero retries are fine.
  for (int priority : {MIN_PRIORITY, MAX_PRIORITY}) {
    SubmitSpec spec = spec_for("t");
    spec.priority = priority;
    CHECK(h.info(h.submit(spec)).priority == priority);
  }
  SubmitSpec zero = spec_for("t");
  zero.timeout_ms = 0;
  zero.retries = 0;
  CHECK(code_of([&] { h.submit(zero); }) == ErrorCode::OK);
  CHECK(h.engine->metrics().total_requests == 3);
}

TEST_CASE("a payload over max_payload_bytes is E_PAYLOAD_TOO_LARGE", "[routing][errors]") {
  SECTION("with a limit") {
    EngineConfig config;
    config.max_payload_bytes = 1'000;
    ScriptHarness h(config);
    h.bank("A", {action("t")});
    SubmitSpec over = spec_for("t");
    over.payload_bytes = 1'001;
    expect_rejected(h, over, ErrorCode::PAYLOAD_TOO_LARGE);
    SubmitSpec at = spec_for("t");
    at.payload_bytes = 1'000;
    CHECK(code_of([&] { h.submit(at); }) == ErrorCode::OK);
  }
  SECTION("0 means unlimited") {
    ScriptHarness h;
    h.bank("A", {action("t")});
    SubmitSpec huge = spec_for("t");
    huge.payload_bytes = std::size_t{1} << 40;
    CHECK(code_of([&] { h.submit(huge); }) == ErrorCode::OK);
  }
}

TEST_CASE("a stopped bank ends what it has, shows STOPPED and takes nothing new", "[routing][stop]") {
  EngineConfig config;
  config.max_queue = 2;
  ScriptHarness h(config);
  BankOptions options;
  options.prefetch = 0;
  h.bank("b", {action("t", true)}, options);
  h.bank("other", {action("u")});
  RequestId running = h.submit("t");
  Dispatch d = h.take();
  h.start(d);
  RequestId queued = h.submit("t");
  SubmitSpec waiting = task_spec("t");
  waiting.wait_for_room = true;
  h.engine->pause_bank("other");
  RequestId elsewhere = h.submit("u");  // queued beside `queued`: the bound is reached
  RequestId waits = h.submit(waiting);
  REQUIRE(h.engine->metrics().waiting_for_room == 1);

  h.engine->stop_bank("b", ErrorCode::WORKER_CRASHED, "no worker could be started");
  h.pump();
  for (RequestId id : {running, queued, waits}) {
    CHECK(h.settlement(id).error == ErrorCode::WORKER_CRASHED);
    CHECK(h.settlement(id).message == "no worker could be started");
  }
  CHECK(h.aborts.size() == 1);  // the running attempt is told to stop
  CHECK(h.engine->banks()[0].status == BankStatus::STOPPED);
  CHECK(h.status(elsewhere) == RequestStatus::PENDING);  // other banks are untouched
  CHECK(code_of([&] { h.engine->submit(task_spec("t")); }) == ErrorCode::SHUTTING_DOWN);
  // Its late result changes nothing; the worker's slot is freed all the same.
  h.finish(d);
  CHECK(h.settle_count(running) == 1);
  CHECK(h.engine->metrics().pending == 1);
  CHECK(h.engine->metrics().waiting_for_room == 0);
}
