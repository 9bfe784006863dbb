#pragma once
// Shared helpers for the engine tests.
//
// ScriptHarness builds an engine over a ManualClock with no timer thread and script banks,
// so the test plays the script workers: assignments come out of the outbox as Dispatch
// records, the test reports started()/complete(), and settlements come back through the
// outbox. Time moves only in advance_*(), which then calls tick(), so timeouts and retry
// backoff are exact to the nanosecond.
//
// Every outbox drain goes through pump(), which keeps the whole history (dispatches,
// aborts, settlements, events) so tests can assert on order and on "exactly once".
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "threadbank/engine.h"

namespace threadbank::testing {

/// @brief An action for a test manifest.
inline ActionSpec action(const std::string& id, bool retryable = false,
                         std::optional<std::int64_t> timeout_ms = std::nullopt) {
  ActionSpec a;
  a.id = id;
  a.retryable = retryable;
  a.timeout_ms = timeout_ms;
  return a;
}

/// @brief A manifest holding `actions`, `max_concurrent` attempts per worker.
inline Manifest manifest_with(std::vector<ActionSpec> actions, int max_concurrent = 1,
                              std::optional<std::int64_t> default_timeout_ms = std::nullopt) {
  Manifest m;
  m.name = "test";
  m.version = "1.0.0";
  m.actions = std::move(actions);
  m.max_concurrent_tasks = max_concurrent;
  m.default_timeout_ms = default_timeout_ms;
  return m;
}

/// @brief A submission of `task` with every option at its default.
inline SubmitSpec task_spec(const std::string& task, int priority = DEFAULT_PRIORITY) {
  SubmitSpec spec;
  spec.task = task;
  spec.priority = priority;
  return spec;
}

/// @brief Runs `call` and returns the code of the threadbank::Error it threw, or OK when it
/// did not throw. Any other exception fails the test.
inline ErrorCode code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::OK;
}

/// @brief Options for ScriptHarness::bank (C++17: no designated initializers).
struct BankOptions {
  int workers = 1;
  int max_concurrent = 1;
  int concurrency = 0;
  int prefetch = 0;
  std::optional<std::int64_t> default_timeout_ms;
  std::vector<std::int32_t> starting;  ///< workers not ready yet (BankConfig::starting)
};

struct ScriptHarness {
  static constexpr std::int64_t START_NS = 1'700'000'000'000 * NS_PER_MS;

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(START_NS);
  std::unique_ptr<Engine> engine;

  std::deque<Dispatch> open;         ///< dispatches the test has not taken yet
  std::vector<Dispatch> dispatched;  ///< every dispatch, in outbox order
  std::vector<Abort> aborts;
  std::vector<Settlement> settlements;  ///< in outbox order
  std::vector<Event> events;
  std::vector<RequestId> evicted;       ///< records the history let go, in outbox order

  /// @param config used as given, except clock/timer_thread; event_mask defaults to all
  /// @param start_ns the manual clock's first reading
  explicit ScriptHarness(EngineConfig config = EngineConfig{}, bool all_events = true,
                         std::int64_t start_ns = START_NS)
      : clock(std::make_shared<ManualClock>(start_ns)) {
    config.clock = clock;
    config.timer_thread = false;
    if (all_events) config.event_mask = ALL_EVENTS;
    engine = std::make_unique<Engine>(config);
  }

  std::uint32_t bank(const std::string& id, std::vector<ActionSpec> actions,
                     BankOptions options = BankOptions{}) {
    BankConfig b;
    b.id = id;
    b.kind = BankKind::SCRIPT;
    b.worker_count = options.workers;
    b.manifest =
        manifest_with(std::move(actions), options.max_concurrent, options.default_timeout_ms);
    b.concurrency = options.concurrency;
    b.prefetch = options.prefetch;
    b.starting = options.starting;
    std::uint32_t index = engine->register_bank(b);
    pump();
    return index;
  }

  RequestId submit(const std::string& task, int priority = DEFAULT_PRIORITY) {
    return submit(task_spec(task, priority));
  }

  RequestId submit(SubmitSpec spec) {
    RequestId id = engine->submit(std::move(spec));
    pump();
    return id;
  }

  /// @brief Moves everything from the outbox into the harness' lists.
  void pump() {
    Outbox out;
    engine->drain_outbox(out);
    for (auto& d : out.dispatches) {
      open.push_back(d);
      dispatched.push_back(d);
    }
    aborts.insert(aborts.end(), out.aborts.begin(), out.aborts.end());
    settlements.insert(settlements.end(), out.settlements.begin(), out.settlements.end());
    events.insert(events.end(), out.events.begin(), out.events.end());
    for (const auto& record : out.evicted) evicted.push_back(record.key());
  }

  /// @brief Number of dispatches waiting for the test.
  std::size_t open_count() {
    pump();
    return open.size();
  }

  /// @brief Takes the oldest dispatch the test has not handled yet (fails when none).
  Dispatch take() {
    pump();
    REQUIRE_FALSE(open.empty());
    Dispatch d = open.front();
    open.pop_front();
    return d;
  }

  void start(const Dispatch& d) {
    engine->started(d.request, d.attempt);
    pump();
  }

  void finish(const Dispatch& d, Outcome outcome = Outcome::ok(nullptr)) {
    engine->complete(d.request, d.attempt, d.bank, d.worker, std::move(outcome));
    pump();
  }

  /// @brief Takes the next dispatch, starts it, and completes it `run_ns` later.
  Dispatch run_next(std::int64_t run_ns = 0, Outcome outcome = Outcome::ok(nullptr)) {
    Dispatch d = take();
    start(d);
    advance_ns(run_ns);
    finish(d, std::move(outcome));
    return d;
  }

  void advance_ns(std::int64_t ns) {
    clock->advance_ns(ns);
    engine->tick();
    pump();
  }
  void advance_ms(std::int64_t ms) { advance_ns(ms * NS_PER_MS); }

  RequestInfo info(RequestId id) {
    auto found = engine->request(id);
    REQUIRE(found.has_value());
    return *found;
  }
  RequestStatus status(RequestId id) { return info(id).status; }

  int settle_count(RequestId id) {
    pump();
    return static_cast<int>(std::count_if(settlements.begin(), settlements.end(),
                                          [&](const Settlement& s) { return s.request == id; }));
  }

  /// @brief The one settlement of `id` (fails when there is none or more than one).
  Settlement settlement(RequestId id) {
    REQUIRE(settle_count(id) == 1);
    return *std::find_if(settlements.begin(), settlements.end(),
                         [&](const Settlement& s) { return s.request == id; });
  }

  std::size_t count_events(EventType type) {
    pump();
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(),
                                                  [&](const Event& e) { return e.type == type; }));
  }

  /// @brief Request ids of every dispatch so far, in order.
  std::vector<RequestId> dispatch_order() const {
    std::vector<RequestId> ids;
    for (const auto& d : dispatched) ids.push_back(d.request);
    return ids;
  }
};

}  // namespace threadbank::testing
