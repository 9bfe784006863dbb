#pragma once
// A script-bank harness: the test plays the workers. Dispatches come out of the outbox,
// the test completes them, and settlements come back, all on a manual clock.
#include <map>
#include <memory>
#include <vector>

#include "threadbank/engine.h"

namespace threadbank::testing {

inline Manifest manifest_with(std::vector<ActionSpec> actions, int max_concurrent = 1) {
  Manifest m;
  m.name = "test";
  m.version = "1.0.0";
  m.actions = std::move(actions);
  m.max_concurrent_tasks = max_concurrent;
  return m;
}

inline ActionSpec action(const std::string& id, bool retryable = false) {
  ActionSpec a;
  a.id = id;
  a.retryable = retryable;
  return a;
}

struct Harness {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1'000 * NS_PER_MS);
  std::unique_ptr<Engine> engine;
  std::vector<Dispatch> dispatches;
  std::vector<Abort> aborts;
  std::map<RequestId, Settlement> settled;
  std::map<RequestId, int> settle_count;
  std::vector<Event> events;

  explicit Harness(EngineConfig config = {}) {
    config.clock = clock;
    config.timer_thread = false;
    if (config.event_mask == 0) config.event_mask = ALL_EVENTS;
    engine = std::make_unique<Engine>(config);
  }

  void bank(const std::string& id, int workers, std::vector<ActionSpec> actions, int max_concurrent = 1,
            int concurrency = 0, int prefetch = 0) {
    BankConfig b;
    b.id = id;
    b.kind = BankKind::SCRIPT;
    b.worker_count = workers;
    b.manifest = manifest_with(std::move(actions), max_concurrent);
    b.concurrency = concurrency;
    b.prefetch = prefetch;
    engine->register_bank(b);
  }

  RequestId submit(const std::string& task, int priority = DEFAULT_PRIORITY) {
    SubmitSpec spec;
    spec.task = task;
    spec.priority = priority;
    return engine->submit(spec);
  }

  /// Moves everything from the outbox into the harness' lists.
  void pump() {
    Outbox out;
    engine->drain_outbox(out);
    for (auto& d : out.dispatches) dispatches.push_back(d);
    for (auto& a : out.aborts) aborts.push_back(a);
    for (auto& s : out.settlements) {
      ++settle_count[s.request];
      settled[s.request] = s;
    }
    for (auto& e : out.events) events.push_back(e);
  }

  /// Takes the oldest dispatch not yet handled.
  Dispatch take() {
    pump();
    Dispatch d = dispatches.front();
    dispatches.erase(dispatches.begin());
    return d;
  }

  void finish(const Dispatch& d, Outcome outcome = Outcome::ok(nullptr)) {
    engine->complete(d.request, d.attempt, d.bank, d.worker, std::move(outcome));
    pump();
  }

  void advance_ms(std::int64_t ms) {
    clock->advance_ns(ms * NS_PER_MS);
    engine->tick();
    pump();
  }

  RequestStatus status(RequestId id) { return engine->request(id)->status; }
};

}  // namespace threadbank::testing
