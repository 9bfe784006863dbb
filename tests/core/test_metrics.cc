// Metrics snapshots, per-worker numbers, queries and events, checked against what the test
// itself did on the manual clock.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::BankOptions;
using threadbank::testing::ScriptHarness;
using threadbank::testing::task_spec;

namespace {

std::size_t at(RequestStatus s) {
  return static_cast<std::size_t>(s);
}

std::uint64_t finished_sum(const SystemMetrics& m) {
  return std::accumulate(m.finished.begin(), m.finished.end(), std::uint64_t{0});
}

/// Nearest-rank percentile (stats.h): the ceil(q * n)-th smallest sample, in ms.
double nearest_rank_ms(std::vector<std::int64_t> samples_ns, double q) {
  std::sort(samples_ns.begin(), samples_ns.end());
  auto n = static_cast<double>(samples_ns.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n));
  rank = std::max<std::size_t>(1, std::min(rank, samples_ns.size()));
  return static_cast<double>(samples_ns[rank - 1]) / 1e6;
}

double mean_ms(const std::vector<std::int64_t>& samples_ns) {
  double sum = 0;
  for (auto v : samples_ns) sum += static_cast<double>(v);
  return sum / static_cast<double>(samples_ns.size()) / 1e6;
}

}  // namespace

TEST_CASE("counters add up: total = finished in every status + pending + in flight", "[metrics]") {
  EngineConfig config;
  config.retry_base_ms = 10;
  ScriptHarness h(config);
  BankOptions options;
  options.workers = 3;
  h.bank("b", {action("t"), action("flaky", true), action("slow", false, 50)}, options);
  auto check_sum = [&](const char* when) {
    INFO(when);
    SystemMetrics m = h.engine->metrics();
    CHECK(m.total_requests == finished_sum(m) + m.pending + m.in_flight);
  };
  check_sum("empty");
  CHECK(h.engine->metrics().success_rate == Approx(1.0));  // nothing finished yet

  // 4 completed
  for (int i = 0; i < 4; ++i) {
    h.submit("t");
    h.run_next(NS_PER_MS);
  }
  check_sum("after completions");
  // 2 failed
  for (int i = 0; i < 2; ++i) {
    h.submit("t");
    h.run_next(NS_PER_MS, Outcome::fail(ErrorCode::HANDLER, "x"));
  }
  // 1 retried then completed (one retry)
  h.submit("flaky");
  h.run_next(0, Outcome::fail(ErrorCode::HANDLER, "x"));
  check_sum("during a retry's backoff");
  h.advance_ms(10);
  h.run_next(0);
  // 1 cancelled while pending (the bank is paused)
  h.engine->pause_bank("b");
  RequestId to_cancel = h.submit("t");
  check_sum("paused, one pending");
  h.engine->cancel(to_cancel);
  h.engine->resume_bank("b");
  // 1 timed out
  h.submit("slow");
  Dispatch slow = h.take();
  h.start(slow);
  h.advance_ms(50);
  h.finish(slow);  // the late result is ignored
  // live: 2 in flight and 2 pending
  h.submit("t");
  h.submit("t");
  h.engine->pause_bank("b");
  h.submit("t");
  h.submit("t");
  h.pump();

  SystemMetrics m = h.engine->metrics();
  CHECK(m.total_requests == 13);
  CHECK(m.finished[at(RequestStatus::COMPLETED)] == 5);
  CHECK(m.finished[at(RequestStatus::FAILED)] == 2);
  CHECK(m.finished[at(RequestStatus::CANCELLED)] == 1);
  CHECK(m.finished[at(RequestStatus::TIMED_OUT)] == 1);
  for (RequestStatus live :
       {RequestStatus::PENDING, RequestStatus::ASSIGNED, RequestStatus::PROCESSING}) {
    CHECK(m.finished[at(live)] == 0);
  }
  CHECK(m.in_flight == 2);
  CHECK(m.pending == 2);
  CHECK(m.retries == 1);
  CHECK(m.rejected == 0);
  check_sum("at the end");
  CHECK(m.success_rate == Approx(5.0 / 9.0));
  CHECK(m.worker_count == 3);
  CHECK(m.busy_workers == 2);
  CHECK(m.stored_requests == 13);
}

TEST_CASE("processing percentiles match a nearest-rank reference of the durations produced",
          "[metrics][percentiles]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  std::vector<std::int64_t> durations;
  for (int i = 0; i < 37; ++i) {
    // Scrambled, distinct-ish durations from 0.25 ms to ~40 ms.
    std::int64_t ns = ((i * 17) % 37 + 1) * NS_PER_MS + (i % 4) * 250'000;
    durations.push_back(ns);
    h.submit("t");
    Dispatch d = h.take();
    h.advance_ms(3);  // assigned -> started: not processing time
    h.start(d);
    h.advance_ns(ns);
    h.finish(d, i % 5 == 0 ? Outcome::fail(ErrorCode::HANDLER, "x") : Outcome::ok(nullptr));
  }
  Percentiles p = h.engine->metrics().processing;
  CHECK(p.count == durations.size());
  CHECK(p.mean_ms == Approx(mean_ms(durations)));
  CHECK(p.p50_ms == Approx(nearest_rank_ms(durations, 0.50)));
  CHECK(p.p95_ms == Approx(nearest_rank_ms(durations, 0.95)));
  CHECK(p.p99_ms == Approx(nearest_rank_ms(durations, 0.99)));
  CHECK(p.max_ms ==
        Approx(static_cast<double>(*std::max_element(durations.begin(), durations.end())) / 1e6));
  CHECK(p.p50_ms <= p.p95_ms);
  CHECK(p.p95_ms <= p.p99_ms);
  CHECK(p.p99_ms <= p.max_ms);
}

TEST_CASE("queue_wait measures (re)queue to assignment", "[metrics][percentiles]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  // Three requests at once on one worker; each runs 10 ms: waits 0, 10, 20 ms.
  for (int i = 0; i < 3; ++i) h.submit("t");
  for (int i = 0; i < 3; ++i) h.run_next(10 * NS_PER_MS);
  Percentiles q = h.engine->metrics().queue_wait;
  CHECK(q.count == 3);
  CHECK(q.mean_ms == Approx(10.0));
  CHECK(q.p50_ms == Approx(10.0));
  CHECK(q.max_ms == Approx(20.0));
  // Processing time is not queue time.
  CHECK(h.engine->metrics().processing.max_ms == Approx(10.0));
}

TEST_CASE("current_load is in-flight attempts over total worker capacity", "[metrics]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 4;
  h.bank("b", {action("t")}, options);
  CHECK(h.engine->metrics().current_load == Approx(0.0));
  h.submit("t");
  CHECK(h.engine->metrics().current_load == Approx(0.25));
  h.submit("t");
  CHECK(h.engine->metrics().current_load == Approx(0.5));
  h.submit("t");
  h.submit("t");
  CHECK(h.engine->metrics().current_load == Approx(1.0));
  h.submit("t");  // queued: does not raise the load past 1
  CHECK(h.engine->metrics().current_load == Approx(1.0));
  CHECK(h.engine->metrics().busy_workers == 4);
  h.finish(h.take());  // the queued one takes the freed slot
  CHECK(h.engine->metrics().current_load == Approx(1.0));
  h.finish(h.take());
  CHECK(h.engine->metrics().current_load == Approx(0.75));
  CHECK(h.engine->metrics().busy_workers == 3);
}

TEST_CASE("per-worker counters: tasks completed and failed, busy and idle time",
          "[metrics][workers]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  h.bank("b", {action("t")}, options);
  const std::int64_t t0 = h.clock->now_ns();
  // Worker 0: busy 5 ms (completed) and 3 ms (failed). Worker 1: busy 7 ms (completed).
  h.submit("t");
  h.submit("t");
  Dispatch a = h.take();
  Dispatch b = h.take();
  REQUIRE(a.worker != b.worker);
  Dispatch& w0 = a.worker == 0 ? a : b;
  Dispatch& w1 = a.worker == 0 ? b : a;
  h.advance_ms(5);
  h.finish(w0);
  h.advance_ms(2);
  h.finish(w1);
  h.advance_ms(10);
  h.submit("t");
  Dispatch c = h.take();  // on either worker; the expectations follow it
  h.start(c);
  h.advance_ms(3);
  h.finish(c, Outcome::fail(ErrorCode::HANDLER, "x"));
  h.advance_ms(4);

  std::int64_t busy[2] = {5 * NS_PER_MS, 7 * NS_PER_MS};
  std::uint64_t failed[2] = {0, 0};
  std::uint64_t assigned[2] = {1, 1};
  busy[c.worker] += 3 * NS_PER_MS;
  failed[c.worker] = 1;
  assigned[c.worker] += 1;

  auto workers = h.engine->worker_status();
  REQUIRE(workers.size() == 2);
  const std::int64_t elapsed = h.clock->now_ns() - t0;
  CHECK(workers[0].worker_id == "b#0");
  CHECK(workers[1].worker_id == "b#1");
  CHECK(workers[0].bank == "b");
  CHECK(workers[0].kind == BankKind::SCRIPT);
  for (int i = 0; i < 2; ++i) {
    INFO("worker " << i);
    const WorkerStatus& w = workers[static_cast<std::size_t>(i)];
    CHECK(w.index == i);
    CHECK(w.tasks_completed == 1);
    CHECK(w.tasks_failed == failed[i]);
    CHECK(w.busy_ns == busy[i]);
    CHECK(w.idle_ns == elapsed - busy[i]);
    CHECK_FALSE(w.busy);
    CHECK(w.inflight == 0);
    CHECK(w.current_request == NO_REQUEST);
  }
  BalanceReport report = h.engine->balance_report("b");
  CHECK(report.assigned == std::vector<std::uint64_t>{assigned[0], assigned[1]});
  CHECK(report.busy_ns == std::vector<std::int64_t>{busy[0], busy[1]});

  SECTION("a busy worker reports its current request and growing busy time") {
    RequestId id = h.submit("t");
    Dispatch d = h.take();
    h.start(d);
    h.advance_ms(6);
    auto now = h.engine->worker_status()[static_cast<std::size_t>(d.worker)];
    CHECK(now.busy);
    CHECK(now.inflight == 1);
    CHECK(now.current_request == id);
    CHECK(now.current_task == "t");
    CHECK(now.busy_ns == workers[static_cast<std::size_t>(d.worker)].busy_ns + 6 * NS_PER_MS);
  }
}

TEST_CASE("throughput and uptime follow the clock", "[metrics]") {
  ScriptHarness h;
  h.bank("b", {action("t")});
  CHECK(h.engine->metrics().uptime_ms == 0);
  for (int i = 0; i < 20; ++i) {
    h.submit("t");
    h.finish(h.take());
  }
  h.advance_ms(2'500);
  SystemMetrics m = h.engine->metrics();
  CHECK(m.uptime_ms == 2'500);
  CHECK(m.throughput_per_s == Approx(20.0 / 10.0));  // 20 finished in the last 10 s
  h.advance_ms(20'000);
  CHECK(h.engine->metrics().throughput_per_s == Approx(0.0));
}

TEST_CASE("Engine::query filters, sorts and pages the stored requests", "[metrics][query]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 1;
  h.bank("a", {action("x")});
  h.bank("b", {action("y")}, options);
  std::vector<RequestId> ids;
  for (int i = 0; i < 10; ++i) {
    SubmitSpec spec = task_spec(i % 2 == 0 ? "x" : "y", i);  // priority = i
    spec.client = i < 5 ? "alice" : "bob";
    ids.push_back(h.submit(spec));
    h.advance_ms(1);
  }
  // Finish everything that was dispatched (x on a, y on b run one at a time).
  while (h.open_count() > 0) h.finish(h.take());

  RequestQuery all;
  QueryResult r = h.engine->query(all);
  CHECK(r.total == 10);
  REQUIRE(r.items.size() == 10);
  for (std::size_t i = 0; i < 10; ++i) CHECK(r.items[i].id == ids[i]);  // submittedAt ascending

  RequestQuery by_client;
  by_client.client = "bob";
  by_client.task = "y";
  r = h.engine->query(by_client);
  CHECK(r.total == 3);  // i = 5, 7, 9
  for (const auto& item : r.items) {
    CHECK(item.client == "bob");
    CHECK(item.task == "y");
    CHECK(item.bank == "b");
  }

  RequestQuery by_priority;
  by_priority.min_priority = 3;
  by_priority.max_priority = 6;
  by_priority.sort_by = SortKey::PRIORITY;
  by_priority.descending = true;
  r = h.engine->query(by_priority);
  REQUIRE(r.total == 4);
  CHECK(r.items[0].priority == 6);
  CHECK(r.items[3].priority == 3);

  RequestQuery page;
  page.offset = 4;
  page.limit = 3;
  page.sort_by = SortKey::ID;
  r = h.engine->query(page);
  CHECK(r.total == 10);
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].id == ids[4]);
  CHECK(r.items[2].id == ids[6]);

  RequestQuery completed;
  completed.statuses = {RequestStatus::COMPLETED};
  CHECK(h.engine->query(completed).total == 10);
  RequestQuery unknown_client;
  unknown_client.client = "carol";
  CHECK(h.engine->query(unknown_client).total == 0);

  RequestQuery range;
  range.from_ns = h.info(ids[2]).submitted_ns;
  range.to_ns = h.info(ids[4]).submitted_ns;
  CHECK(h.engine->query(range).total == 3);
}

TEST_CASE("query sees live states and the same numbers as metrics()", "[metrics][query]") {
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  h.bank("b", {action("t")}, options);
  for (int i = 0; i < 5; ++i) h.submit("t");
  h.start(h.take());
  RequestQuery pending;
  pending.statuses = {RequestStatus::PENDING};
  RequestQuery in_flight;
  in_flight.statuses = {RequestStatus::ASSIGNED, RequestStatus::PROCESSING};
  RequestQuery processing;
  processing.statuses = {RequestStatus::PROCESSING};
  SystemMetrics m = h.engine->metrics();
  CHECK(h.engine->query(pending).total == m.pending);
  CHECK(h.engine->query(in_flight).total == m.in_flight);
  CHECK(h.engine->query(processing).total == 1);
}

// --- events ----------------------------------------------------------------------------

TEST_CASE("one request's events arrive in order: submitted, assigned, started, completed",
          "[metrics][events]") {
  ScriptHarness h;
  std::uint32_t bank = h.bank("b", {action("t")});
  const std::int64_t t0 = h.clock->now_ns();
  RequestId id = h.submit("t");
  Dispatch d = h.take();
  h.advance_ms(2);
  h.start(d);
  h.advance_ms(3);
  h.finish(d);

  std::vector<Event> mine;
  for (const auto& e : h.events) {
    if (e.request == id) mine.push_back(e);
  }
  std::vector<EventType> types;
  for (const auto& e : mine) types.push_back(e.type);
  CHECK(types == std::vector<EventType>{EventType::REQUEST_SUBMITTED, EventType::REQUEST_ASSIGNED,
                                        EventType::REQUEST_STARTED, EventType::REQUEST_COMPLETED});
  REQUIRE(mine.size() == 4);
  CHECK(mine[0].at_ns == t0);
  CHECK(mine[1].at_ns == t0);
  CHECK(mine[2].at_ns == t0 + 2 * NS_PER_MS);
  CHECK(mine[3].at_ns == t0 + 5 * NS_PER_MS);
  for (std::size_t i = 1; i < mine.size(); ++i) {
    CHECK(mine[i].bank == bank);
    CHECK(mine[i].worker == d.worker);
    CHECK(mine[i].attempt == 1);
  }
  CHECK(mine[3].error == ErrorCode::OK);
  // The worker went busy then idle around it.
  std::vector<WorkerState> worker_states;
  for (const auto& e : h.events) {
    if (e.type == EventType::WORKER_STATUS)
      worker_states.push_back(static_cast<WorkerState>(e.state));
  }
  CHECK(worker_states == std::vector<WorkerState>{WorkerState::BUSY, WorkerState::IDLE});
}

TEST_CASE("a retried request's events tell the whole story", "[metrics][events]") {
  EngineConfig config;
  config.retry_base_ms = 10;
  ScriptHarness h(config);
  h.bank("b", {action("t", true)});
  SubmitSpec spec = task_spec("t");
  spec.retries = 1;
  RequestId id = h.submit(spec);
  h.run_next(0, Outcome::fail(ErrorCode::HANDLER, "x"));
  h.advance_ms(10);
  h.run_next(0, Outcome::fail(ErrorCode::HANDLER, "x"));
  std::vector<EventType> types;
  std::vector<int> attempts;
  for (const auto& e : h.events) {
    if (e.request != id) continue;
    types.push_back(e.type);
    attempts.push_back(e.attempt);
  }
  CHECK(types == std::vector<EventType>{EventType::REQUEST_SUBMITTED, EventType::REQUEST_ASSIGNED,
                                        EventType::REQUEST_STARTED, EventType::REQUEST_RETRIED,
                                        EventType::REQUEST_ASSIGNED, EventType::REQUEST_STARTED,
                                        EventType::REQUEST_FAILED});
  REQUIRE(attempts.size() == 7);
  CHECK(attempts[1] == 1);
  CHECK(attempts[4] == 2);
  CHECK(attempts[6] == 2);
  for (const auto& e : h.events) {
    if (e.request == id &&
        (e.type == EventType::REQUEST_RETRIED || e.type == EventType::REQUEST_FAILED)) {
      CHECK(e.error == ErrorCode::HANDLER);
    }
  }
}

TEST_CASE("the event mask selects which events are collected", "[metrics][events]") {
  SECTION("none by default") {
    ScriptHarness h(EngineConfig{}, /*all_events=*/false);
    h.bank("b", {action("t")});
    h.submit("t");
    h.finish(h.take());
    h.engine->pause_bank("b");
    CHECK(h.events.empty());
    // Settlements do not depend on the mask.
    CHECK(h.settlements.size() == 1);
  }
  SECTION("only the bits that are set") {
    EngineConfig config;
    config.event_mask =
        event_bit(EventType::REQUEST_COMPLETED) | event_bit(EventType::REQUEST_FAILED);
    ScriptHarness h(config, /*all_events=*/false);
    h.bank("b", {action("t")});
    RequestId ok = h.submit("t");
    h.run_next();
    RequestId bad = h.submit("t");
    h.run_next(0, Outcome::fail(ErrorCode::HANDLER, "x"));
    REQUIRE(h.events.size() == 2);
    CHECK(h.events[0].type == EventType::REQUEST_COMPLETED);
    CHECK(h.events[0].request == ok);
    CHECK(h.events[1].type == EventType::REQUEST_FAILED);
    CHECK(h.events[1].request == bad);
  }
  SECTION("set_event_mask changes it at run time") {
    ScriptHarness h(EngineConfig{}, /*all_events=*/false);
    h.bank("b", {action("t")});
    h.submit("t");
    h.run_next();
    CHECK(h.events.empty());
    h.engine->set_event_mask(event_bit(EventType::REQUEST_SUBMITTED));
    RequestId id = h.submit("t");
    h.run_next();
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].type == EventType::REQUEST_SUBMITTED);
    CHECK(h.events[0].request == id);
    h.engine->set_event_mask(ALL_EVENTS);
    h.submit("t");
    h.run_next();
    CHECK(h.count_events(EventType::REQUEST_STARTED) == 1);
    CHECK(h.count_events(EventType::WORKER_STATUS) == 2);
    h.engine->set_event_mask(0);
    std::size_t before = h.events.size();
    h.submit("t");
    h.run_next();
    CHECK(h.events.size() == before);
  }
}

TEST_CASE("processing time is the handler's own when its worker reports it", "[metrics]") {
  ScriptHarness h;
  BankOptions options;
  options.prefetch = 4;
  h.bank("b", {action("t")}, options);
  for (int i = 0; i < 4; ++i) h.submit("t");
  // Results reach the engine 5 ms after they were handed over (held in the worker, then a
  // slow trip back), but each handler ran for 2 us.
  std::vector<Dispatch> held;
  for (int i = 0; i < 4; ++i) held.push_back(h.take());
  h.advance_ms(5);
  for (const auto& d : held) {
    Outcome outcome = Outcome::ok(nullptr);
    outcome.run_ns = 2'000;
    h.finish(d, std::move(outcome));
  }
  Percentiles p = h.engine->metrics().processing;
  CHECK(p.count == 4);
  CHECK(p.max_ms == Approx(0.002));
  // Without the worker's timing, from the attempt's start.
  h.submit("t");
  Dispatch d = h.take();
  h.advance_ms(3);
  h.finish(d);
  CHECK(h.engine->metrics().processing.max_ms == Approx(3.0));
}
