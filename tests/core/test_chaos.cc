// Chaos: long random interleavings of everything the engine's callers do, checked against
// invariants that must hold whatever the order: every request settles exactly once, never
// for an unknown id, with a status that matches its error; nothing is dispatched to a lost
// worker, past a worker's capacity or after its request settled; no attempt times out
// before its timeout; a lost worker's late reports change nothing; and the counters,
// events and per-worker slots agree with what the test saw.
//
// The first case is single-threaded on the manual clock (native actions run only when it
// calls run_native()), so a seed fixes the whole run, in every build: a failure under a
// sanitizer replays in Release. THREADBANK_CHAOS_SEED runs another seed (with the same
// standard library: distributions differ between them). The second runs native threads,
// the timer thread, submitters, a canceller and a thread that turns the bank's knobs, for
// the sanitizers to watch; sanitizer builds (THREADBANK_SANITIZER set, as the suite runner
// does, or compiled with -fsanitize) submit fewer requests there to stay within seconds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine_fixture.h"
#include "threadbank/builtin_pack.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::BankOptions;
using threadbank::testing::manifest_with;
using threadbank::testing::ScriptHarness;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool SANITIZED_BUILD = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool SANITIZED_BUILD = true;
#else
constexpr bool SANITIZED_BUILD = false;
#endif
#else
constexpr bool SANITIZED_BUILD = false;
#endif

bool sanitized() { return SANITIZED_BUILD || std::getenv("THREADBANK_SANITIZER") != nullptr; }

std::uint32_t chaos_seed() {
  const char* text = std::getenv("THREADBANK_CHAOS_SEED");
  return text != nullptr ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10)) : 20'240'611u;
}

std::size_t at(RequestStatus s) { return static_cast<std::size_t>(s); }

/// The status each final error must end in (docs/scheduling.md).
RequestStatus status_for(ErrorCode error) {
  switch (error) {
    case ErrorCode::OK: return RequestStatus::COMPLETED;
    case ErrorCode::TIMEOUT: return RequestStatus::TIMED_OUT;
    case ErrorCode::CANCELLED:
    case ErrorCode::SHUTTING_DOWN: return RequestStatus::CANCELLED;
    default: return RequestStatus::FAILED;
  }
}

int pick(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
bool chance(std::mt19937& rng, int percent) { return pick(rng, 0, 99) < percent; }

/// A random per-attempt timeout: often none (unset or 0), else a few ms to a few dozen.
std::optional<std::int64_t> random_timeout(std::mt19937& rng, int lo_ms, int hi_ms) {
  int roll = pick(rng, 0, 5);
  if (roll < 2) return std::nullopt;
  if (roll == 2) return 0;
  return pick(rng, lo_ms, hi_ms);
}

std::optional<int> random_retries(std::mt19937& rng) {
  int roll = pick(rng, 0, 3);
  return roll == 3 ? std::nullopt : std::optional<int>(roll);
}

// --- single-threaded chaos ---------------------------------------------------------------

/// What the test knows about a request it submitted.
struct Expect {
  std::string task;
  int max_attempts = 1;
  std::int64_t timeout_ms = 0;  ///< effective per-attempt timeout, 0 = none
  std::optional<std::int64_t> sum;  ///< `add`: the result it must complete with
};

/// An attempt a script worker holds, as the test (playing the worker) sees it.
struct Held {
  Dispatch dispatch;
  bool started = false;
};

struct ScriptWorker {
  bool alive = true;
  std::vector<Held> held;        ///< oldest first, as the worker would run them
  std::vector<Dispatch> ghosts;  ///< what it held when it died: late reports to replay
};

/// One seeded run over a script bank (the test plays its workers) and an unthreaded native
/// bank, both on the harness' manual clock. With a history_limit under the number of
/// requests, finished ones drop out of the store during the run: checks that need the
/// engine's record skip those.
struct ChaosRun {
  static constexpr int SCRIPT_WORKERS = 3;
  static constexpr int PREFETCH = 2;
  static constexpr int CAPACITY = 1 + PREFETCH;  // max_concurrent_tasks 1
  static constexpr int DEFAULT_RETRIES = 2;
  static constexpr std::int64_t Q_TIMEOUT_MS = 40;  // the action timeout of script task "q"
  static constexpr std::int64_t RETRY_MAX_MS = 20;

  const std::size_t history;
  std::mt19937 rng;
  ScriptHarness h;
  std::uint32_t script = 0;
  std::uint32_t native = 0;
  std::vector<ScriptWorker> workers = std::vector<ScriptWorker>(SCRIPT_WORKERS);

  std::unordered_map<RequestId, Expect> expect;
  std::vector<RequestId> ids;  ///< every accepted request, in submission order
  std::unordered_map<RequestId, int> settle_count;
  std::unordered_map<RequestId, RequestStatus> settled_as;
  std::array<std::uint64_t, REQUEST_STATUS_COUNT> by_status{};
  std::uint64_t rejected = 0;
  std::size_t seen_settlements = 0;
  std::size_t seen_aborts = 0;
  /// Workers a timed-out abort told the "binding" to terminate, with what they ran.
  std::vector<std::pair<int, std::vector<AttemptRef>>> doomed;
  bool shut_down = false;
  bool paused = false;
  int step = 0;
  const char* doing = "setup";

  ChaosRun(std::uint32_t seed, std::size_t history_limit)
      : history(history_limit), rng(seed), h(config(history_limit)) {
    // The harness' engine has no native handlers: swap in one over the same clock that has
    // the basic pack and runs it only in run_native(), so one seed is one interleaving.
    auto handlers = std::make_shared<HandlerRegistry>();
    register_basic_pack(*handlers);
    EngineConfig c = config(history);
    c.clock = h.clock;
    c.timer_thread = false;
    c.native_threads = false;
    c.event_mask = ALL_EVENTS;
    h.engine = std::make_unique<Engine>(c, handlers);

    const BalanceStrategy strategies[] = {BalanceStrategy::LEAST_LOADED,
                                          BalanceStrategy::ROUND_ROBIN,
                                          BalanceStrategy::FASTEST_EXPECTED};
    BankConfig s;
    s.id = "script";
    s.kind = BankKind::SCRIPT;
    s.worker_count = SCRIPT_WORKERS;
    s.prefetch = PREFETCH;
    s.strategy = strategies[pick(rng, 0, 2)];
    s.manifest = manifest_with({action("r", true), action("q", false, Q_TIMEOUT_MS)});
    script = h.engine->register_bank(s);
    BankConfig n;
    n.id = "native";
    n.kind = BankKind::NATIVE;
    n.worker_count = 2;
    n.manifest = basic_pack_manifest();
    native = h.engine->register_bank(n);
    absorb();
  }

  static EngineConfig config(std::size_t history_limit) {
    EngineConfig c;
    c.max_queue = 0;
    c.history_limit = history_limit;
    c.default_retries = DEFAULT_RETRIES;
    c.retry_base_ms = 5;
    c.retry_max_ms = RETRY_MAX_MS;
    c.aging_step_ms = 20;
    return c;
  }

  /// Stops the run at the first broken invariant, naming the step so a seed replays it.
  void fail(const std::string& what) const {
    FAIL("step " << step << " (" << doing << "): " << what);
  }

  std::size_t live() const { return ids.size() - settle_count.size(); }

  /// The engine's record of `id`; missing only when the history limit let it go.
  std::optional<RequestInfo> info(RequestId id) {
    auto found = h.engine->request(id);
    if (!found && (history >= ids.size() || settle_count.count(id) == 0)) {
      fail("request " + std::to_string(id) + " is missing from the store");
    }
    return found;
  }

  // --- reading the outbox ----------------------------------------------------------------

  /// Drains the outbox and checks everything new in it. Settlements first: a dispatch of a
  /// request that settled in the same batch must be caught too.
  void absorb() {
    h.pump();
    for (; seen_settlements < h.settlements.size(); ++seen_settlements) {
      accept_settlement(h.settlements[seen_settlements]);
    }
    for (const Dispatch& d : h.open) accept_dispatch(d);
    h.open.clear();
    for (; seen_aborts < h.aborts.size(); ++seen_aborts) accept_abort(h.aborts[seen_aborts]);
  }

  void accept_settlement(const Settlement& s) {
    auto it = expect.find(s.request);
    if (it == expect.end()) fail("settlement for unknown request " + std::to_string(s.request));
    if (++settle_count[s.request] > 1) fail("request " + std::to_string(s.request) + " settled twice");
    if (!is_final(s.status) || s.status != status_for(s.error)) {
      fail("request " + std::to_string(s.request) + " settled as " +
           request_status_name(s.status) + " with error " + error_code_name(s.error));
    }
    settled_as[s.request] = s.status;
    ++by_status[at(s.status)];
    const Expect& e = it->second;
    if (s.status == RequestStatus::TIMED_OUT) {
      // Timeouts count from the latest assignment: a reassignment (after a lost worker)
      // starts the clock again.
      auto record = info(s.request);
      std::int64_t ran_ns = record ? record->at_ns[at(RequestStatus::TIMED_OUT)] -
                                         record->at_ns[at(RequestStatus::ASSIGNED)]
                                   : e.timeout_ms * NS_PER_MS;
      if (e.timeout_ms == 0 || ran_ns < e.timeout_ms * NS_PER_MS) {
        fail("request " + std::to_string(s.request) + " timed out after " +
             std::to_string(ran_ns) + " ns with a timeout of " + std::to_string(e.timeout_ms) +
             " ms");
      }
    }
    if (s.status != RequestStatus::COMPLETED) return;
    if (e.sum && s.result != nlohmann::json{{"result", *e.sum}}) {
      fail("add " + std::to_string(s.request) + " completed with " + s.result.dump());
    }
    if (e.task == "r" || e.task == "q") {
      // A script result must be the one the request's current attempt returned.
      auto record = info(s.request);
      if (record && s.result != nlohmann::json{{"request", s.request}, {"attempt", record->attempts}}) {
        fail("request " + std::to_string(s.request) + " (attempt " +
             std::to_string(record->attempts) + ") completed with " + s.result.dump());
      }
    }
  }

  void accept_dispatch(const Dispatch& d) {
    const std::string what = "dispatch of " + std::to_string(d.request) + " attempt " +
                              std::to_string(d.attempt) + " to worker " + std::to_string(d.worker);
    if (d.bank != script) fail(what + ": a native attempt reached the outbox");
    if (d.worker < 0 || d.worker >= SCRIPT_WORKERS) fail(what + ": no such worker");
    auto it = expect.find(d.request);
    if (it == expect.end()) fail(what + ": unknown request");
    if (settle_count.count(d.request) != 0) fail(what + ": the request already settled");
    if (d.attempt < 1 || d.attempt > it->second.max_attempts) fail(what + ": attempt out of range");
    if (d.action == nullptr || *d.action != it->second.task) fail(what + ": wrong action");
    ScriptWorker& w = workers[static_cast<std::size_t>(d.worker)];
    if (!w.alive) fail(what + ": the worker is lost");
    w.held.push_back(Held{d, false});
    if (static_cast<int>(w.held.size()) > CAPACITY) fail(what + ": over the worker's capacity");
  }

  void accept_abort(const Abort& a) {
    if (a.bank != script) fail("an abort of a native attempt reached the outbox");
    // What the Node binding does with a timed-out attempt: terminate the worker (which is
    // stuck in it when it had started) and replace it later. Half the time; the other half
    // the worker returns late on its own.
    if (!a.timed_out || !chance(rng, 50)) return;
    ScriptWorker& w = workers[static_cast<std::size_t>(a.worker)];
    if (!w.alive) return;
    std::vector<AttemptRef> running;
    for (const Held& held : w.held) {
      if (held.started && held.dispatch.request == a.request && held.dispatch.attempt == a.attempt) {
        running.emplace_back(a.request, a.attempt);
      }
    }
    doomed.emplace_back(a.worker, std::move(running));
  }

  // --- the caller's moves ------------------------------------------------------------------

  void submit() {
    doing = "submit";
    SubmitSpec spec;
    Expect e;
    bool retryable = false;
    if (chance(rng, 40)) {
      int kind = pick(rng, 0, 9);
      if (kind < 6) {
        int a = pick(rng, -1000, 1000), b = pick(rng, -1000, 1000);
        spec.task = "add";
        spec.params = nlohmann::json{{"a", a}, {"b", b}};
        e.sum = a + b;
      } else if (kind < 8) {
        spec.task = "fail";  // throws: E_HANDLER, retryable in the basic manifest
        retryable = true;
      } else {
        spec.task = "echo";
        spec.params = nlohmann::json{{"step", step}};
      }
    } else {
      retryable = chance(rng, 70);
      spec.task = retryable ? "r" : "q";
    }
    e.task = spec.task;
    spec.priority = pick(rng, MIN_PRIORITY, MAX_PRIORITY);
    spec.timeout_ms = random_timeout(rng, 3, 60);
    spec.retries = random_retries(rng);
    e.max_attempts = 1 + (spec.retries ? *spec.retries : retryable ? DEFAULT_RETRIES : 0);
    e.timeout_ms = spec.timeout_ms ? *spec.timeout_ms : spec.task == "q" ? Q_TIMEOUT_MS : 0;

    if (shut_down) {
      ErrorCode code = threadbank::testing::code_of([&] { h.engine->submit(spec); });
      if (code != ErrorCode::SHUTTING_DOWN) {
        fail(std::string("a submission after shutdown got ") + error_code_name(code));
      }
      ++rejected;
      return;
    }
    RequestId id = h.engine->submit(spec);
    if (!ids.empty() && id <= ids.back()) fail("request id " + std::to_string(id) + " reused");
    ids.push_back(id);
    expect.emplace(id, e);
    absorb();
  }

  /// Indices of the script workers `want` accepts.
  template <typename F>
  std::vector<int> workers_where(F want) const {
    std::vector<int> out;
    for (int i = 0; i < SCRIPT_WORKERS; ++i) {
      if (want(workers[static_cast<std::size_t>(i)])) out.push_back(i);
    }
    return out;
  }

  /// A live worker starts the oldest attempt it has not started.
  void start() {
    doing = "start";
    auto candidates = workers_where([](const ScriptWorker& w) {
      return w.alive && std::any_of(w.held.begin(), w.held.end(), [](const Held& x) { return !x.started; });
    });
    if (candidates.empty()) return;
    ScriptWorker& w = workers[static_cast<std::size_t>(candidates[static_cast<std::size_t>(
        pick(rng, 0, static_cast<int>(candidates.size()) - 1))])];
    auto it = std::find_if(w.held.begin(), w.held.end(), [](const Held& x) { return !x.started; });
    it->started = true;
    h.engine->started(it->dispatch.request, it->dispatch.attempt);
    absorb();
  }

  Outcome random_outcome(const Dispatch& d) {
    int roll = pick(rng, 0, 99);
    if (roll < 70) return Outcome::ok(nlohmann::json{{"request", d.request}, {"attempt", d.attempt}});
    if (roll < 90) return Outcome::fail(ErrorCode::HANDLER, "chaos");
    if (roll < 95) return Outcome::fail(ErrorCode::WORKER_CRASHED, "chaos");
    return Outcome::fail(ErrorCode::INVALID_PARAMS, "chaos");
  }

  /// A live worker returns an attempt: usually the oldest it started (or, when it started
  /// none, the oldest it holds: started and finished within one batch), sometimes any.
  void finish() {
    doing = "finish";
    auto candidates = workers_where([](const ScriptWorker& w) { return w.alive && !w.held.empty(); });
    if (candidates.empty()) return;
    ScriptWorker& w = workers[static_cast<std::size_t>(candidates[static_cast<std::size_t>(
        pick(rng, 0, static_cast<int>(candidates.size()) - 1))])];
    auto it = std::find_if(w.held.begin(), w.held.end(), [](const Held& x) { return x.started; });
    if (it == w.held.end()) it = w.held.begin();
    if (chance(rng, 20)) it = w.held.begin() + pick(rng, 0, static_cast<int>(w.held.size()) - 1);
    Dispatch d = it->dispatch;
    w.held.erase(it);
    h.engine->complete(d.request, d.attempt, d.bank, d.worker, random_outcome(d));
    absorb();
  }

  /// cancel() must return true exactly when the request had not settled yet, and then
  /// settle it as cancelled.
  void cancel() {
    doing = "cancel";
    if (ids.empty()) return;
    RequestId id = ids[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(ids.size()) - 1))];
    bool was_live = settle_count.count(id) == 0;
    bool cancelled = h.engine->cancel(id);
    absorb();
    if (cancelled != was_live) {
      fail("cancel(" + std::to_string(id) + ") returned " + (cancelled ? "true" : "false") +
           " for a " + (was_live ? "live" : "settled") + " request");
    }
    if (cancelled && settled_as[id] != RequestStatus::CANCELLED) {
      fail("cancelled request " + std::to_string(id) + " settled as " +
           request_status_name(settled_as[id]));
    }
  }

  void advance() {
    doing = "advance";
    h.advance_ms(chance(rng, 2) ? 500 : pick(rng, 0, 12));  // sometimes past every backoff
    absorb();
  }

  void run_native() {
    doing = "run_native";
    h.engine->run_native(static_cast<std::size_t>(pick(rng, 1, 3)));
    absorb();
  }

  /// The worker dies. `running` is what the host knows it ran: nothing known (nullptr), the
  /// attempts the test started, the oldest of those, or none.
  void lose(int index, const std::vector<AttemptRef>* running) {
    ScriptWorker& w = workers[static_cast<std::size_t>(index)];
    w.alive = false;
    for (const Held& held : w.held) w.ghosts.push_back(held.dispatch);
    w.held.clear();
    h.engine->worker_lost(script, index, ErrorCode::WORKER_CRASHED, "chaos", running);
    absorb();
  }

  void lose_random() {
    doing = "worker_lost";
    auto candidates = workers_where([](const ScriptWorker& w) { return w.alive; });
    if (candidates.empty()) return;
    int index = candidates[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(candidates.size()) - 1))];
    std::vector<AttemptRef> running;
    for (const Held& held : workers[static_cast<std::size_t>(index)].held) {
      if (held.started) running.emplace_back(held.dispatch.request, held.dispatch.attempt);
    }
    switch (pick(rng, 0, 3)) {
      case 0: lose(index, nullptr); break;
      case 1: lose(index, &running); break;
      case 2:
        running.resize(std::min<std::size_t>(running.size(), 1));
        lose(index, &running);
        break;
      default:
        running.clear();
        lose(index, &running);
        break;
    }
  }

  void terminate_doomed() {
    if (doomed.empty()) return;
    doing = "terminate after timeout";
    while (!doomed.empty()) {
      auto [index, running] = doomed.back();
      doomed.pop_back();
      if (workers[static_cast<std::size_t>(index)].alive) lose(index, &running);
    }
  }

  void replace(int index) {
    h.engine->worker_replaced(script, index);
    workers[static_cast<std::size_t>(index)].alive = true;
    workers[static_cast<std::size_t>(index)].ghosts.clear();  // the old process is gone
    absorb();
  }

  void replace_random() {
    doing = "worker_replaced";
    auto candidates = workers_where([](const ScriptWorker& w) { return !w.alive; });
    if (candidates.empty()) return;
    replace(candidates[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(candidates.size()) - 1))]);
  }

  /// A result the dead worker had sent before it died arrives: it must change nothing.
  void ghost_report() {
    doing = "late report from a lost worker";
    auto candidates = workers_where([](const ScriptWorker& w) { return !w.alive && !w.ghosts.empty(); });
    if (candidates.empty()) return;
    ScriptWorker& w = workers[static_cast<std::size_t>(candidates[static_cast<std::size_t>(
        pick(rng, 0, static_cast<int>(candidates.size()) - 1))])];
    auto it = w.ghosts.begin() + pick(rng, 0, static_cast<int>(w.ghosts.size()) - 1);
    Dispatch d = *it;
    w.ghosts.erase(it);
    const std::size_t settlements = h.settlements.size(), dispatched = h.dispatched.size(),
                      events = h.events.size();
    h.engine->complete(d.request, d.attempt, d.bank, d.worker, random_outcome(d));
    h.pump();
    if (h.settlements.size() != settlements || h.dispatched.size() != dispatched ||
        h.events.size() != events) {
      fail("a late report of " + std::to_string(d.request) + " from lost worker " +
           std::to_string(d.worker) + " changed something");
    }
  }

  void turn_knob() {
    doing = "knob";
    if (chance(rng, 50)) {
      h.engine->set_concurrency("script", pick(rng, 1, SCRIPT_WORKERS * CAPACITY));
    } else if (paused) {
      h.engine->resume_bank("script");
      paused = false;
    } else {
      h.engine->pause_bank("script");
      paused = true;
    }
    absorb();
  }

  void shutdown() {
    doing = "shutdown";
    h.engine->shutdown(chance(rng, 50));
    shut_down = true;
    absorb();
  }

  // --- invariants --------------------------------------------------------------------------

  /// The engine's counters and slots against the test's own ledger.
  void check_counters() {
    SystemMetrics m = h.engine->metrics();
    std::ostringstream bad;
    if (m.total_requests != ids.size()) bad << " total_requests " << m.total_requests << " != " << ids.size();
    if (m.rejected != rejected) bad << " rejected " << m.rejected << " != " << rejected;
    if (m.pending + m.in_flight != live()) {
      bad << " pending " << m.pending << " + in_flight " << m.in_flight << " != live " << live();
    }
    for (std::size_t s = 0; s < by_status.size(); ++s) {
      if (m.finished[s] != by_status[s]) {
        bad << " finished[" << request_status_name(static_cast<RequestStatus>(s))
            << "] " << m.finished[s] << " != " << by_status[s];
      }
    }
    // A slot is held from dispatch until the worker returns the attempt or is lost.
    for (const WorkerStatus& status : h.engine->worker_status()) {
      if (status.bank != "script") continue;
      const ScriptWorker& w = workers[static_cast<std::size_t>(status.index)];
      if (status.alive != w.alive || status.inflight != static_cast<int>(w.held.size())) {
        bad << " " << status.worker_id << " alive " << status.alive << " inflight "
            << status.inflight << " (test: alive " << w.alive << ", holds " << w.held.size() << ")";
      }
    }
    if (!bad.str().empty()) fail("counters disagree:" + bad.str());
  }

  void run(int steps) {
    const int shutdown_at = steps - steps / 10;
    for (step = 0; step < steps; ++step) {
      if (step == shutdown_at) shutdown();
      int roll = pick(rng, 0, 99);
      if (roll < 18) {
        submit();
      } else if (roll < 36) {
        start();
      } else if (roll < 56) {
        finish();
      } else if (roll < 61) {
        cancel();
      } else if (roll < 75) {
        advance();
      } else if (roll < 88) {
        run_native();
      } else if (roll < 91) {
        lose_random();
      } else if (roll < 95) {
        replace_random();
      } else if (roll < 98) {
        ghost_report();
      } else {
        turn_knob();
      }
      terminate_doomed();
      if (step % 256 == 0) check_counters();  // metrics() is not cheap: sorts its samples
    }
  }

  /// Lets everything end: live workers, every held attempt returned, native jobs run, time
  /// moved past every backoff and timeout.
  void drain() {
    doing = "drain";
    if (!shut_down) shutdown();
    if (paused) h.engine->resume_bank("script");
    paused = false;
    for (int round = 0; round < 1'000; ++round) {
      doing = "drain";
      for (int i = 0; i < SCRIPT_WORKERS; ++i) {
        if (!workers[static_cast<std::size_t>(i)].alive) replace(i);
      }
      bool returned = false;
      for (ScriptWorker& w : workers) {
        while (!w.held.empty()) {
          Dispatch d = w.held.front().dispatch;
          w.held.erase(w.held.begin());
          h.engine->complete(d.request, d.attempt, d.bank, d.worker,
                             Outcome::ok(nlohmann::json{{"request", d.request}, {"attempt", d.attempt}}));
          absorb();
          returned = true;
        }
      }
      bool ran = h.engine->run_native(1'000) > 0;
      absorb();
      terminate_doomed();
      if (live() == 0 && !returned && !ran) return;
      h.advance_ms(RETRY_MAX_MS + Q_TIMEOUT_MS);
      absorb();
    }
    fail(std::to_string(live()) + " requests still live after draining");
  }

  void final_checks() {
    doing = "final checks";
    check_counters();
    CHECK(live() == 0);
    CHECK(h.engine->finished());
    int never = 0, twice = 0, wrong_status = 0, too_many_attempts = 0;
    for (RequestId id : ids) {
      auto count = settle_count.find(id);
      if (count == settle_count.end()) {
        ++never;
        continue;
      }
      twice += count->second > 1;
      if (auto record = info(id)) {
        wrong_status += !is_final(record->status) || record->status != settled_as[id];
        too_many_attempts += record->attempts > expect[id].max_attempts;
      }
    }
    CHECK(never == 0);
    CHECK(twice == 0);
    CHECK(wrong_status == 0);
    CHECK(too_many_attempts == 0);

    SystemMetrics m = h.engine->metrics();
    CHECK(m.pending == 0);
    CHECK(m.in_flight == 0);
    CHECK(m.total_requests == ids.size());
    CHECK(m.rejected == rejected);
    std::uint64_t finished = std::accumulate(m.finished.begin(), m.finished.end(), std::uint64_t{0});
    CHECK(finished == ids.size());
    CHECK(m.stored_requests == std::min(history, ids.size()));
    CHECK(m.finished[at(RequestStatus::COMPLETED)] + m.finished[at(RequestStatus::FAILED)] +
              m.finished[at(RequestStatus::CANCELLED)] + m.finished[at(RequestStatus::TIMED_OUT)] ==
          ids.size());
    for (RequestStatus s : {RequestStatus::COMPLETED, RequestStatus::FAILED,
                            RequestStatus::CANCELLED, RequestStatus::TIMED_OUT}) {
      INFO(request_status_name(s));
      CHECK(m.finished[at(s)] == by_status[at(s)]);
    }
    for (const WorkerStatus& w : h.engine->worker_status()) {
      INFO(w.worker_id);
      CHECK(w.alive);
      CHECK(w.inflight == 0);
    }
    for (const BankInfo& b : h.engine->banks()) {
      INFO(b.id);
      CHECK(b.in_flight == 0);
      CHECK(b.queue_depth == 0);
    }

    // Events tell the same story as the settlements.
    CHECK(h.count_events(EventType::REQUEST_SUBMITTED) == ids.size());
    CHECK(h.count_events(EventType::REQUEST_COMPLETED) == by_status[at(RequestStatus::COMPLETED)]);
    CHECK(h.count_events(EventType::REQUEST_FAILED) == by_status[at(RequestStatus::FAILED)]);
    CHECK(h.count_events(EventType::REQUEST_CANCELLED) == by_status[at(RequestStatus::CANCELLED)]);
    CHECK(h.count_events(EventType::REQUEST_TIMED_OUT) == by_status[at(RequestStatus::TIMED_OUT)]);
    CHECK(h.count_events(EventType::REQUEST_RETRIED) == m.retries);
    std::size_t script_assigned = 0;
    for (const Event& e : h.events) {
      script_assigned += e.type == EventType::REQUEST_ASSIGNED && e.bank == script;
    }
    CHECK(script_assigned == h.dispatched.size());
  }
};

}  // namespace

TEST_CASE("chaos: random moves on a script and a native bank settle every request exactly once",
          "[chaos]") {
  const std::uint32_t seed = chaos_seed();
  const int steps = 20'000;
  // Everything kept, or only the latest finished request (the least the JS layer allows).
  const std::size_t history = GENERATE(std::size_t{1'000'000}, std::size_t{1});
  INFO("seed " << seed << " (replay with THREADBANK_CHAOS_SEED=" << seed << "), " << steps
               << " steps, history_limit " << history);
  ChaosRun run(seed, history);
  run.run(steps);
  run.drain();
  run.final_checks();

  // The run must have reached the states it is meant to mix; a change that made the moves
  // degenerate (nothing ever times out, no worker ever dies) would otherwise pass silently.
  CHECK(run.ids.size() > static_cast<std::size_t>(steps / 10));
  CHECK(run.rejected > 0);
  for (RequestStatus s : {RequestStatus::COMPLETED, RequestStatus::FAILED,
                          RequestStatus::CANCELLED, RequestStatus::TIMED_OUT}) {
    INFO(request_status_name(s));
    CHECK(run.by_status[at(s)] > 0);
  }
  CHECK(run.h.engine->metrics().retries > 0);
  int restarts = 0;
  for (const WorkerStatus& w : run.h.engine->worker_status()) restarts += w.restarts;
  CHECK(restarts > 0);
}

// --- multi-threaded chaos ----------------------------------------------------------------

TEST_CASE("chaos: submitters, a canceller and knob turns over native threads settle each "
          "request once",
          "[chaos]") {
  const std::uint32_t seed = chaos_seed();
  const int submitters = 3;
  const int per_submitter = sanitized() ? 1'500 : 3'000;
  const int workers = 3;
  INFO("seed " << seed << ", " << submitters << " x " << per_submitter << " requests");

  auto handlers = std::make_shared<HandlerRegistry>();
  register_basic_pack(*handlers);
  EngineConfig config;
  config.max_queue = 0;
  config.history_limit = static_cast<std::size_t>(submitters * per_submitter);
  config.retry_base_ms = 1;
  config.retry_max_ms = 4;
  config.event_mask = ALL_EVENTS;
  Engine engine(config, handlers);
  BankConfig bank;
  bank.id = "native";
  bank.kind = BankKind::NATIVE;
  bank.worker_count = workers;
  bank.manifest = basic_pack_manifest();
  engine.register_bank(bank);

  // The drainer sleeps until the listener says the outbox has something. A wait that runs
  // out and then finds work means a signal was lost: the engine must call the listener
  // whenever the outbox becomes non-empty after a drain.
  std::mutex wake_mutex;
  std::condition_variable wake;
  bool signaled = false;
  auto poke = [&] {
    std::lock_guard<std::mutex> lock(wake_mutex);
    signaled = true;
    wake.notify_one();
  };
  engine.set_outbox_listener(poke);

  struct Sent {
    RequestId id;
    std::optional<std::int64_t> sum;  // `add`: the result it must complete with
  };
  std::mutex ids_mutex;
  std::vector<RequestId> all_ids;  // what the canceller picks from
  std::vector<std::vector<Sent>> sent(static_cast<std::size_t>(submitters));
  std::atomic<int> accepted{0};
  std::atomic<int> submit_errors{0};
  std::atomic<bool> submitting{true};
  std::atomic<bool> churning{true};
  std::atomic<int> cancelled_ok{0};
  std::atomic<int> snapshot_errors{0};
  std::atomic<int> script_items{0};  // dispatches or aborts in the outbox: native banks send none

  // Drainer: every settlement and event, counted once.
  std::vector<Settlement> seen;
  std::array<std::uint64_t, EVENT_TYPE_COUNT> events{};
  bool drain_timed_out = false;
  int lost_signals = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::thread drainer([&] {
    Outbox out;
    bool woke_by_signal = true;
    for (;;) {
      engine.drain_outbox(out);
      lost_signals += !woke_by_signal && !out.empty();
      for (auto& s : out.settlements) seen.push_back(std::move(s));
      for (const auto& e : out.events) ++events[static_cast<std::size_t>(e.type)];
      script_items += static_cast<int>(out.dispatches.size() + out.aborts.size());
      if (!submitting.load() && !churning.load() &&
          seen.size() >= static_cast<std::size_t>(accepted.load())) {
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        drain_timed_out = true;
        break;
      }
      std::unique_lock<std::mutex> lock(wake_mutex);
      woke_by_signal = wake.wait_for(lock, std::chrono::milliseconds(500), [&] { return signaled; });
      signaled = false;
    }
  });

  // Canceller: cancels random requests, live or not, while the others run.
  std::thread canceller([&] {
    std::mt19937 rng(seed ^ 0xCA11u);
    while (churning.load()) {
      RequestId id = NO_REQUEST;
      {
        std::lock_guard<std::mutex> lock(ids_mutex);
        if (!all_ids.empty()) id = all_ids[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(all_ids.size()) - 1))];
      }
      if (id != NO_REQUEST && engine.cancel(id)) ++cancelled_ok;
      std::this_thread::sleep_for(std::chrono::microseconds(pick(rng, 20, 200)));
    }
  });

  // Knobs and observers: concurrency, pause/resume, and snapshots that must always add up.
  std::thread knobs([&] {
    std::mt19937 rng(seed ^ 0x4B0Bu);
    while (churning.load()) {
      switch (pick(rng, 0, 5)) {
        case 0: engine.set_concurrency("native", pick(rng, 1, workers + 1)); break;
        case 1: engine.pause_bank("native"); break;
        case 2: engine.resume_bank("native"); break;
        default: {
          SystemMetrics m = engine.metrics();
          std::uint64_t finished =
              std::accumulate(m.finished.begin(), m.finished.end(), std::uint64_t{0});
          if (m.total_requests != finished + m.pending + m.in_flight) ++snapshot_errors;
          for (const WorkerStatus& w : engine.worker_status()) {
            if (w.inflight < 0 || w.inflight > w.capacity) ++snapshot_errors;
          }
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(pick(rng, 100, 1'000)));
    }
    // Leave the bank able to finish what is queued.
    engine.resume_bank("native");
    engine.set_concurrency("native", workers);
  });

  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed + static_cast<std::uint32_t>(t));
      auto& mine = sent[static_cast<std::size_t>(t)];
      for (int i = 0; i < per_submitter; ++i) {
        SubmitSpec spec;
        std::optional<std::int64_t> sum;
        int kind = pick(rng, 0, 99);
        if (kind < 50) {
          spec.task = "add";
          spec.params = nlohmann::json{{"a", i}, {"b", t}};
          sum = i + t;
        } else if (kind < 70) {
          spec.task = "sleep";  // 0-2 ms, often longer than its timeout
          spec.params = nlohmann::json{{"ms", pick(rng, 0, 2)}};
          if (chance(rng, 50)) spec.timeout_ms = pick(rng, 1, 2);
        } else if (kind < 85) {
          spec.task = "fail";
          spec.retries = pick(rng, 0, 2);
        } else {
          spec.task = "echo";
          spec.params = nlohmann::json{{"i", i}};
          if (chance(rng, 30)) spec.timeout_ms = 1;
        }
        spec.priority = pick(rng, MIN_PRIORITY, MAX_PRIORITY);
        try {
          RequestId id = engine.submit(std::move(spec));
          mine.push_back(Sent{id, sum});
          ++accepted;
          std::lock_guard<std::mutex> lock(ids_mutex);
          all_ids.push_back(id);
        } catch (const Error&) {
          ++submit_errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  submitting = false;
  // Let the canceller and the knobs go on a little while the backlog drains.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  churning = false;
  canceller.join();
  knobs.join();
  poke();  // the last settlement may have come before churning ended: look once more
  drainer.join();
  // CHECK, not REQUIRE, from here on: leaving early would skip clearing the listener below.
  CHECK_FALSE(drain_timed_out);
  CHECK(lost_signals == 0);
  CHECK(submit_errors.load() == 0);
  CHECK(snapshot_errors.load() == 0);
  CHECK(script_items.load() == 0);

  // Exactly once, each with a status that matches its error and the right result.
  std::unordered_map<RequestId, std::optional<std::int64_t>> want;
  for (const auto& list : sent) {
    for (const Sent& s : list) want.emplace(s.id, s.sum);
  }
  CHECK(want.size() == static_cast<std::size_t>(accepted.load()));
  std::unordered_map<RequestId, int> settle_count;
  std::array<std::uint64_t, REQUEST_STATUS_COUNT> by_status{};
  int unknown = 0, mismatched = 0, wrong_result = 0, cancelled_by_caller = 0;
  for (const Settlement& s : seen) {
    ++settle_count[s.request];
    ++by_status[at(s.status)];
    cancelled_by_caller += s.error == ErrorCode::CANCELLED;
    auto it = want.find(s.request);
    if (it == want.end()) {
      ++unknown;
      continue;
    }
    mismatched += s.status != status_for(s.error);
    if (s.status == RequestStatus::COMPLETED && it->second &&
        s.result != nlohmann::json{{"result", *it->second}}) {
      ++wrong_result;
    }
  }
  int never = 0, twice = 0, not_final = 0;
  for (const auto& [id, sum] : want) {
    auto it = settle_count.find(id);
    if (it == settle_count.end()) {
      ++never;
    } else if (it->second > 1) {
      ++twice;
    }
    auto info = engine.request(id);
    not_final += !info || !is_final(info->status);
  }
  CHECK(never == 0);
  CHECK(twice == 0);
  CHECK(unknown == 0);
  CHECK(mismatched == 0);
  CHECK(wrong_result == 0);
  CHECK(not_final == 0);
  // Only cancel() ends a request with E_CANCELLED here, and only when it returned true.
  CHECK(cancelled_by_caller == cancelled_ok.load());

  SystemMetrics m = engine.metrics();
  const auto total = static_cast<std::uint64_t>(accepted.load());
  CHECK(m.total_requests == total);
  CHECK(m.pending == 0);
  CHECK(m.in_flight == 0);
  CHECK(m.rejected == 0);
  CHECK(m.finished[at(RequestStatus::COMPLETED)] + m.finished[at(RequestStatus::FAILED)] +
            m.finished[at(RequestStatus::CANCELLED)] + m.finished[at(RequestStatus::TIMED_OUT)] ==
        total);
  for (RequestStatus s : {RequestStatus::COMPLETED, RequestStatus::FAILED,
                          RequestStatus::CANCELLED, RequestStatus::TIMED_OUT}) {
    INFO(request_status_name(s));
    CHECK(m.finished[at(s)] == by_status[at(s)]);
  }
  CHECK(by_status[at(RequestStatus::COMPLETED)] > 0);
  CHECK(by_status[at(RequestStatus::FAILED)] > 0);
  auto event = [&](EventType type) { return events[static_cast<std::size_t>(type)]; };
  CHECK(event(EventType::REQUEST_SUBMITTED) == total);
  CHECK(event(EventType::REQUEST_COMPLETED) == by_status[at(RequestStatus::COMPLETED)]);
  CHECK(event(EventType::REQUEST_FAILED) == by_status[at(RequestStatus::FAILED)]);
  CHECK(event(EventType::REQUEST_CANCELLED) == by_status[at(RequestStatus::CANCELLED)]);
  CHECK(event(EventType::REQUEST_TIMED_OUT) == by_status[at(RequestStatus::TIMED_OUT)]);
  CHECK(event(EventType::REQUEST_RETRIED) == m.retries);

  // Slots of cancelled or timed-out handlers free when those return, shortly after.
  auto slots_free = [&] {
    for (const BankInfo& b : engine.banks()) {
      if (b.in_flight != 0 || b.queue_depth != 0) return false;
    }
    return true;
  };
  const auto slot_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!slots_free() && std::chrono::steady_clock::now() < slot_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(slots_free());
  for (const WorkerStatus& w : engine.worker_status()) CHECK(w.inflight == 0);

  engine.shutdown(true);
  CHECK(engine.wait_finished(1'000));
  // The listener touches wake/wake_mutex, which die before the engine: stop it first.
  engine.set_outbox_listener(nullptr);
}

// --- found by the chaos runs -------------------------------------------------------------

TEST_CASE("a request requeued by a lost worker gets its full timeout on the next worker",
          "[chaos][lifecycle]") {
  // Timeouts count from the attempt's start (docs/scheduling.md). worker_lost() puts an
  // attempt the dead worker never ran back in the queue without using it up, so the
  // reassignment carries the same attempt number; the first start's timeout timer, still
  // armed for that number, must not fire against the second (the chaos run above caught
  // it timing requests out early).
  ScriptHarness h;
  BankOptions options;
  options.workers = 2;
  std::uint32_t bank = h.bank("b", {action("t", false, 50)}, options);
  RequestId id = h.submit("t");
  Dispatch first = h.take();
  h.start(first);  // as the host infers from order; the worker had not begun it
  h.advance_ms(40);
  std::vector<AttemptRef> running;  // the worker died before it began the attempt
  h.engine->worker_lost(bank, first.worker, ErrorCode::WORKER_CRASHED, "gone", &running);
  Dispatch again = h.take();
  REQUIRE(again.request == id);
  REQUIRE(again.attempt == first.attempt);
  REQUIRE(again.worker != first.worker);
  h.start(again);
  const std::int64_t reassigned = h.clock->now_ns();
  CHECK(h.info(id).at_ns[at(RequestStatus::PROCESSING)] == reassigned);

  h.advance_ms(10);  // 50 ms after the first start, 10 ms after the second
  CHECK(h.status(id) == RequestStatus::PROCESSING);
  CHECK(h.aborts.empty());
  h.advance_ns(40 * NS_PER_MS - 1);
  CHECK(h.status(id) == RequestStatus::PROCESSING);
  h.advance_ns(1);
  CHECK(h.status(id) == RequestStatus::TIMED_OUT);
  CHECK(h.info(id).at_ns[at(RequestStatus::TIMED_OUT)] == reassigned + 50 * NS_PER_MS);
}

TEST_CASE("a timeout that ends a request with history_limit 0 reads no freed record",
          "[chaos][lifecycle]") {
  // With no history a request's record is dropped as it finishes. tick() ends a timed-out
  // attempt through attempt_failed(); reading the record's bank after that was a
  // heap-use-after-free (caught under ASan).
  EngineConfig config;
  config.history_limit = 0;
  ScriptHarness h(config);
  h.bank("b", {action("t", false, 10)});
  RequestId id = h.submit("t");
  h.start(h.take());
  h.advance_ms(10);
  CHECK(h.settlement(id).error == ErrorCode::TIMEOUT);
  CHECK_FALSE(h.engine->request(id).has_value());
}
