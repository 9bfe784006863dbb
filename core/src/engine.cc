#include "threadbank/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <optional>
#include <queue>
#include <type_traits>
#include <unordered_map>

#include "threadbank/native_pool.h"
#include "threadbank/prometheus.h"
#include "threadbank/request_queue.h"
#include "threadbank/stats.h"
#include "threadbank/timer_queue.h"

namespace threadbank {
namespace {

constexpr int MAX_WORKERS = 1024;
constexpr int MAX_RETRIES = 100;
// With defer_native_wakes: how many submits may pass while a native wake is owed before it
// is paid without waiting for the host's flush. A closed loop's burst costs a few wakes
// instead of one per request; a synchronous loop of many submits still keeps threads busy.
constexpr std::uint32_t DEFERRED_SUBMIT_LIMIT = 128;
constexpr std::int64_t MAX_TIMEOUT_MS = 9'200'000'000'000;  // ns must fit in int64

std::size_t idx(RequestStatus s) { return static_cast<std::size_t>(s); }

bool is_retryable_error(ErrorCode code) {
  return code == ErrorCode::HANDLER || code == ErrorCode::WORKER_CRASHED ||
         code == ErrorCode::TIMEOUT;
}

// `base_ms` doubled `doublings` times, capped at `max_ms` (retry and restart backoff).
std::int64_t capped_backoff_ms(std::int64_t base_ms, std::int64_t max_ms, int doublings) {
  std::int64_t delay_ms = base_ms;
  for (int i = 0; i < doublings && delay_ms < max_ms; ++i) delay_ms *= 2;
  return std::min(delay_ms, max_ms);
}

RequestStatus final_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::OK: return RequestStatus::COMPLETED;
    case ErrorCode::TIMEOUT: return RequestStatus::TIMED_OUT;
    case ErrorCode::CANCELLED:
    case ErrorCode::SHUTTING_DOWN: return RequestStatus::CANCELLED;
    default: return RequestStatus::FAILED;
  }
}

struct WorkerRuntime {
  std::vector<AttemptRef> held;  // attempts on this worker, oldest first
  std::uint64_t assigned = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::int64_t busy_ns = 0;
  std::int64_t busy_since_ns = 0;
  std::int64_t created_ns = 0;
  RequestId current = NO_REQUEST;
  int restarts = 0;
  std::int64_t last_finish_ns = 0;  // when its latest attempt ended (adaptive prefetch)
};

struct BankRuntime {
  std::string id;
  Manifest manifest;
  BankKind kind = BankKind::SCRIPT;
  BankStatus status = BankStatus::ACTIVE;
  BalanceStrategy strategy = BalanceStrategy::LEAST_LOADED;
  int concurrency = 1;
  int inflight = 0;
  std::size_t pending = 0;  // in the queue (stale entries excluded)
  // Worker deaths since one of its workers last reported an attempt (FAILING, backoff).
  int consecutive_deaths = 0;
  std::vector<WorkerSlot> slots;  // what the balancer sees, parallel to `workers`
  std::vector<WorkerRuntime> workers;
  std::unique_ptr<Balancer> balancer;
  RequestQueue queue;
  std::unique_ptr<NativePool> pool;  // native banks only
  std::vector<std::int64_t> action_timeout_ns;  // per action, 0 = none
  int per_worker_base = 1;  // attempts a worker runs at once (max_concurrent_tasks)
  std::optional<AdaptivePrefetch> auto_prefetch;  // BankConfig::prefetch == AUTO_PREFETCH

  // An attempt of this bank took `duration_ns`: with an adaptive window, every alive
  // worker's capacity follows it (a worker over a lowered capacity just takes nothing new).
  // A worker running several at once gets through one per duration / that many.
  void record_duration(std::int64_t duration_ns) {
    if (!auto_prefetch || !auto_prefetch->record(duration_ns / per_worker_base)) return;
    for (auto& slot : slots) slot.capacity = per_worker_base + auto_prefetch->window();
  }

  int capacity() const {
    int total = 0;
    for (const auto& slot : slots) total += slot.alive ? slot.capacity : 0;
    return std::max(1, std::min(total, concurrency));
  }
};


}  // namespace

struct Engine::Impl {
  // Work decided under the lock and carried out after it is released: executors and
  // listeners never run under the engine's lock, so they may call back into the engine.
  struct Effects {
    std::vector<std::pair<NativePool*, Dispatch>> run;
    std::vector<std::pair<NativePool*, Abort>> abort;
    bool signal_outbox = false;
    bool wake_timer = false;
    bool became_finished = false;
    bool defer_native_wakes = false;  // submit() with EngineConfig::defer_native_wakes
  };

  Impl(Engine& engine, EngineConfig cfg, std::shared_ptr<HandlerRegistry> registry)
      : owner(engine),
        config(std::move(cfg)),
        handlers(std::move(registry)),
        processing(8192),
        queue_wait(8192) {}

  Engine& owner;
  EngineConfig config;
  std::shared_ptr<HandlerRegistry> handlers;
  Clock* clock = nullptr;

  mutable std::mutex mutex;
  std::condition_variable finished_cv;
  std::vector<std::unique_ptr<BankRuntime>> banks;
  std::unordered_map<std::string, std::uint32_t> bank_index;
  // task id (interned) -> (bank, action) routes
  std::unordered_map<std::uint32_t, std::vector<std::pair<std::uint32_t, std::uint16_t>>> routes;
  Interner tasks;
  Interner clients;
  RequestStore store{10'000};
  RequestId next_id = 1;
  TimerQueue timers;

  // What the binding takes (drain_outbox); its lock rules are OutboxChannel's.
  OutboxChannel outbox;
  // submit() queued native attempts without waking their workers (defer_native_wakes).
  std::atomic<bool> native_wakes_owed{false};
  std::atomic<std::uint32_t> submits_while_owed{0};
  std::uint32_t event_mask = 0;

  bool shutting_down = false;
  bool shutting_down_without_drain = false;  // retries end instead of waiting
  bool queue_was_full = false;
  // Requests accepted while the queue was full (SubmitSpec::wait_for_room), in order; ids of
  // ones cancelled meanwhile stay until they come up. waiting_for_room counts the live ones.
  std::deque<RequestId> waiting_room;
  std::uint64_t waiting_for_room = 0;
  bool admitting_waiting = false;  // admit_waiting() is running (pump() calls it back)
  std::uint64_t live = 0;           // submitted and not yet final
  std::uint64_t pending_total = 0;  // PENDING, in a queue or waiting for a retry
  std::uint64_t inflight_total = 0;  // ASSIGNED or PROCESSING requests
  std::int64_t started_ns = 0;

  SystemMetrics counters;  // the monotonically growing fields only
  DurationStats processing;
  DurationStats queue_wait;
  RateCounter throughput;

  // Timer thread (real clocks): sleeps until the next deadline or until woken.
  std::thread timer_thread;
  std::condition_variable timer_cv;
  bool timer_stop = false;

  // ---------------------------------------------------------------------------------
  BankRuntime& bank_at(std::uint32_t bank) {
    if (bank >= banks.size()) {
      throw Error(ErrorCode::UNKNOWN_BANK, "expected a registered bank index but received " +
                                               std::to_string(bank));
    }
    return *banks[bank];
  }

  /// `worker` as an index into `bank`'s workers, or INVALID_ARGUMENT.
  static std::size_t worker_index(const BankRuntime& bank, std::int32_t worker) {
    if (worker < 0 || static_cast<std::size_t>(worker) >= bank.workers.size()) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "expected a worker index of bank \"" + bank.id +
                                                   "\" but received " + std::to_string(worker));
    }
    return static_cast<std::size_t>(worker);
  }

  BankRuntime& bank_named(const std::string& id) {
    auto it = bank_index.find(id);
    if (it == bank_index.end()) {
      throw Error(ErrorCode::UNKNOWN_BANK, "expected a registered bank id but received \"" + id + "\"");
    }
    return *banks[it->second];
  }

  const std::string& bank_name(std::uint32_t bank) const { return banks[bank]->id; }

  void emit(Effects& fx, Event event) {
    if ((event_mask & event_bit(event.type)) == 0) return;
    outbox.push(event);
    fx.signal_outbox = true;
  }

  void emit_request(Effects& fx, EventType type, const RequestRecord& r, std::int64_t now,
                    ErrorCode error = ErrorCode::OK) {
    if ((event_mask & event_bit(type)) == 0) return;
    Event e;
    e.type = type;
    e.at_ns = now;
    e.request = r.id;
    e.bank = r.bank;
    e.worker = r.worker;
    e.attempt = r.attempts;
    e.error = error;
    emit(fx, e);
  }

  void emit_worker(Effects& fx, std::uint32_t bank, int worker, WorkerState state,
                   std::int64_t now) {
    Event e;
    e.type = EventType::WORKER_STATUS;
    e.at_ns = now;
    e.bank = bank;
    e.worker = worker;
    e.state = static_cast<std::uint8_t>(state);
    emit(fx, e);
  }

  void emit_bank(Effects& fx, std::uint32_t bank, std::int64_t now) {
    Event e;
    e.type = EventType::BANK_STATUS;
    e.at_ns = now;
    e.bank = bank;
    e.state = static_cast<std::uint8_t>(banks[bank]->status);
    emit(fx, e);
  }

  void add_timer(Effects& fx, Timer timer) {
    if (timers.add(timer)) fx.wake_timer = true;
  }

  // ---------------------------------------------------------------------------------
  // Worker slot accounting.
  void hold(std::uint32_t b, int w, RequestId id, std::uint8_t attempt, std::int64_t now,
            Effects& fx) {
    BankRuntime& bank = *banks[b];
    WorkerRuntime& worker = bank.workers[static_cast<std::size_t>(w)];
    WorkerSlot& slot = bank.slots[static_cast<std::size_t>(w)];
    if (slot.inflight == 0) {
      worker.busy_since_ns = now;
      emit_worker(fx, b, w, WorkerState::BUSY, now);
    }
    worker.held.emplace_back(id, attempt);
    ++worker.assigned;
    ++slot.inflight;
    ++bank.inflight;
  }

  // Frees the slot an attempt held; false when the worker no longer held it.
  bool release(std::uint32_t b, int w, RequestId id, std::uint8_t attempt, std::int64_t now,
               Effects& fx) {
    if (b >= banks.size()) return false;
    BankRuntime& bank = *banks[b];
    if (w < 0 || static_cast<std::size_t>(w) >= bank.workers.size()) return false;
    WorkerRuntime& worker = bank.workers[static_cast<std::size_t>(w)];
    auto it = std::find(worker.held.begin(), worker.held.end(), std::make_pair(id, attempt));
    if (it == worker.held.end()) return false;
    worker.held.erase(it);
    WorkerSlot& slot = bank.slots[static_cast<std::size_t>(w)];
    --slot.inflight;
    --bank.inflight;
    if (slot.inflight == 0) {
      worker.busy_ns += now - worker.busy_since_ns;
      worker.current = NO_REQUEST;
      emit_worker(fx, b, w, WorkerState::IDLE, now);
    }
    return true;
  }

  // A script worker began an attempt it was sent: ASSIGNED -> PROCESSING, if it is still
  // the request's current attempt.
  void started_locked(RequestId id, std::uint8_t attempt, std::int64_t now, Effects& fx) {
    StoredRequest* s = store.find(id);
    if (s == nullptr) return;
    RequestRecord& r = s->record;
    if (r.status != RequestStatus::ASSIGNED || r.attempts != attempt) return;
    mark_processing(r, now, fx);
  }

  // An attempt ended (Engine::complete, complete_many): frees its slot and applies the
  // outcome (moving its result and message out) if the attempt is still the request's
  // current one; the caller pumps. False when the worker no longer held it (lost since):
  // its late report is ignored entirely.
  //
  // `accepted` tells whether the outcome was the request's: only then may the host deliver
  // a value the worker sent with it. A worker's reported run time is believed only within
  // what is possible (0 to the time since the attempt was handed over).
  bool complete_locked(std::uint32_t b, std::int32_t worker, RequestId id, std::uint8_t attempt,
                       Outcome& outcome, std::int64_t now, Effects& fx, bool* accepted = nullptr) {
    if (accepted != nullptr) *accepted = false;
    if (!release(b, worker, id, attempt, now, fx)) return false;
    BankRuntime& bank = *banks[b];
    WorkerRuntime& w = bank.workers[static_cast<std::size_t>(worker)];
    worker_answered(b, now, fx);
    StoredRequest* s = store.find(id);
    bool current = s != nullptr && s->record.attempts == attempt &&
                   (s->record.status == RequestStatus::ASSIGNED ||
                    s->record.status == RequestStatus::PROCESSING);
    std::int64_t possible_ns = s == nullptr ? -1
                               : current    ? now - s->record.at_ns[idx(RequestStatus::ASSIGNED)]
                                            : now - s->record.submitted_ns;
    if (outcome.run_ns > possible_ns) outcome.run_ns = -1;
    // A late result (the attempt timed out or was cancelled) still tells how long it ran.
    if (outcome.run_ns >= 0) bank.record_duration(outcome.run_ns);
    if (!current) return true;
    if (accepted != nullptr) *accepted = true;
    RequestRecord& r = s->record;
    bool began = r.status == RequestStatus::PROCESSING;
    std::int64_t start = r.at_ns[idx(began ? RequestStatus::PROCESSING : RequestStatus::ASSIGNED)];
    // The handler's own time where its worker timed it: from here a script attempt's
    // start is inferred, and with a prefetch window it includes time queued in the worker.
    std::int64_t duration = outcome.run_ns >= 0 ? outcome.run_ns : now - start;
    processing.add(duration);
    bank.balancer->record(worker, r.action, duration);
    // For the prefetch window, without the worker's own timing (recorded above): from when
    // the previous attempt ended (an attempt held while others ran did not start when it
    // arrived).
    if (outcome.run_ns < 0) bank.record_duration(now - std::max(start, w.last_finish_ns));
    w.last_finish_ns = now;
    // A result at or past the deadline is a timeout even if the timer has not fired yet
    // (a late timer thread, or a host without threads that ticks between tasks). The
    // deadline runs from the handler's start; for an attempt whose start was never reported,
    // from its hand-over (the stuck-worker backstop).
    if (r.timeout_ns > 0 && now - start >= r.timeout_ns) {
      outcome = Outcome::fail(ErrorCode::TIMEOUT, began ? timeout_message(r) : held_message(r));
    }
    if (outcome.error == ErrorCode::OK) {
      ++w.completed;
      finish(*s, ErrorCode::OK, {}, std::move(outcome.result), now, fx);
    } else {
      ++w.failed;
      attempt_failed(*s, outcome.error, std::move(outcome.message), now, fx);
    }
    return true;
  }

  // ---------------------------------------------------------------------------------
  // Worker health: deaths in a row, FAILING, and the restart backoff.

  // A worker of bank `b` reported an attempt: it lives long enough to finish work, so the
  // bank's run of deaths ends and a FAILING bank is ACTIVE again.
  void worker_answered(std::uint32_t b, std::int64_t now, Effects& fx) {
    BankRuntime& bank = *banks[b];
    bank.consecutive_deaths = 0;
    if (bank.status == BankStatus::FAILING) {
      bank.status = BankStatus::ACTIVE;
      emit_bank(fx, b, now);
    }
  }

  // A worker of bank `b` died on its own. Returns the wait before its replacement starts.
  std::int64_t worker_died(std::uint32_t b, const std::string& message, std::int64_t now,
                           Effects& fx) {
    BankRuntime& bank = *banks[b];
    int deaths = ++bank.consecutive_deaths;
    if (deaths >= std::max(1, config.max_consecutive_deaths) && bank.status != BankStatus::STOPPED) {
      if (bank.status == BankStatus::ACTIVE) {
        bank.status = BankStatus::FAILING;
        emit_bank(fx, b, now);
      }
      // What waits for this bank would wait for workers that keep dying: fail it now. Each
      // further death while FAILING does the same for what arrived since.
      fail_queued(b, ErrorCode::WORKER_CRASHED,
                  "bank \"" + bank.id + "\" is failing: its workers died " + std::to_string(deaths) +
                      " times in a row without finishing a request (last: " + message + ")",
                  now, fx);
    }
    if (deaths <= 1) return 0;
    return capped_backoff_ms(config.restart_base_ms, config.restart_max_ms, deaths - 2);
  }

  // Finishes every request queued for bank `b` (not those waiting for a retry, which rejoin
  // the queue later) with `error`.
  void fail_queued(std::uint32_t b, ErrorCode error, const std::string& message, std::int64_t now,
                   Effects& fx) {
    BankRuntime& bank = *banks[b];
    std::vector<RequestId> ids;
    while (!bank.queue.empty()) ids.push_back(bank.queue.pop(bank.queue.best_level(now)).id);
    for (RequestId id : ids) {
      StoredRequest* s = store.find(id);
      if (s && s->record.status == RequestStatus::PENDING && !s->record.waiting_retry) {
        finish(*s, error, message, nullptr, now, fx);
      }
    }
    admit_waiting(now, fx);
  }

  // ---------------------------------------------------------------------------------
  // Lifecycle transitions.
  void leave_pending(StoredRequest& s) {
    RequestRecord& r = s.record;
    if (r.status != RequestStatus::PENDING) return;
    if (r.waiting_room) {
      // Its id stays in waiting_room and is skipped there: removal in O(1).
      r.waiting_room = false;
      --waiting_for_room;
      return;
    }
    --pending_total;
    if (!r.waiting_retry) --banks[r.bank]->pending;
    r.waiting_retry = false;
  }

  void finish(StoredRequest& s, ErrorCode error, std::string message, nlohmann::json result,
              std::int64_t now, Effects& fx) {
    RequestRecord& r = s.record;
    RequestStatus from = r.status;
    if (from == RequestStatus::PENDING) leave_pending(s);
    if (from == RequestStatus::ASSIGNED || from == RequestStatus::PROCESSING) --inflight_total;
    RequestStatus to = final_status_for(error);
    r.status = to;
    r.error = error;
    r.at_ns[idx(to)] = now;
    s.set_message(std::move(message));
    ++counters.finished[idx(to)];
    throughput.add(now);
    --live;

    Settlement settlement;
    settlement.request = r.id;
    settlement.status = to;
    settlement.error = error;
    settlement.result = std::move(result);
    settlement.message = s.message();
    settlement.params = std::move(s.params);
    outbox.push(std::move(settlement));
    fx.signal_outbox = true;

    EventType type = to == RequestStatus::COMPLETED   ? EventType::REQUEST_COMPLETED
                     : to == RequestStatus::TIMED_OUT ? EventType::REQUEST_TIMED_OUT
                     : to == RequestStatus::CANCELLED ? EventType::REQUEST_CANCELLED
                                                      : EventType::REQUEST_FAILED;
    emit_request(fx, type, r, now, error);
    check_queue_drained(now, fx);
    if (live == 0 && shutting_down) fx.became_finished = true;
    // Last: with a tiny history it may evict this very record.
    RequestStore::Evicted evicted = store.finished(r.id);
    if (!evicted.empty()) outbox.push(std::move(evicted));
  }

  void enqueue(StoredRequest& s, std::int64_t now, bool at_front) {
    RequestRecord& r = s.record;
    BankRuntime& bank = *banks[r.bank];
    if (at_front) {
      bank.queue.push_front(r.priority, r.id, r.enqueued_ns);
    } else {
      r.enqueued_ns = now;
      bank.queue.push(r.priority, r.id, now);
    }
    ++bank.pending;
  }

  // An attempt failed with `error`: retry with backoff when allowed, else finish.
  void attempt_failed(StoredRequest& s, ErrorCode error, std::string message, std::int64_t now,
                      Effects& fx) {
    RequestRecord& r = s.record;
    if (is_retryable_error(error) && r.attempts < r.max_attempts && !shutting_down_without_drain) {
      --inflight_total;
      r.status = RequestStatus::PENDING;
      r.waiting_retry = true;
      r.at_ns[idx(RequestStatus::PENDING)] = now;
      r.error = error;
      s.set_message(std::move(message));
      ++pending_total;
      ++counters.retries;
      std::int64_t delay_ms = capped_backoff_ms(config.retry_base_ms, config.retry_max_ms, r.attempts - 1);
      add_timer(fx, Timer{now + delay_ms * NS_PER_MS, r.id, r.attempts, Timer::RETRY});
      emit_request(fx, EventType::REQUEST_RETRIED, r, now, error);
      return;
    }
    finish(s, error, std::move(message), nullptr, now, fx);
  }

  void check_queue_drained(std::int64_t now, Effects& fx) {
    if (!queue_was_full || config.max_queue == 0) return;
    if (pending_total * 10 > config.max_queue * 9) return;
    queue_was_full = false;
    Event e;
    e.type = EventType::QUEUE_DRAIN;
    e.at_ns = now;
    emit(fx, e);
  }

  // The attempt's handler began: its timeout counts from here, not from its assignment, so
  // time spent held behind other work in a worker is never charged to it.
  void mark_processing(RequestRecord& r, std::int64_t now, Effects& fx) {
    r.status = RequestStatus::PROCESSING;
    r.at_ns[idx(RequestStatus::PROCESSING)] = now;
    banks[r.bank]->workers[static_cast<std::size_t>(r.worker)].current = r.id;
    if (r.timeout_ns > 0) add_timer(fx, Timer{now + r.timeout_ns, r.id, r.attempts, Timer::STARTED});
    emit_request(fx, EventType::REQUEST_STARTED, r, now);
  }

  static std::string timeout_message(const RequestRecord& r) {
    return "the attempt ran past its timeout of " + std::to_string(r.timeout_ns / NS_PER_MS) + " ms";
  }

  static std::string held_message(const RequestRecord& r) {
    return "the attempt's worker held it for its whole timeout of " +
           std::to_string(r.timeout_ns / NS_PER_MS) +
           " ms without reporting that it began (the worker is stuck)";
  }

  // Assigns queued requests of bank `b` to workers while there is room.
  void pump(std::uint32_t b, std::int64_t now, Effects& fx) {
    BankRuntime& bank = *banks[b];
    if (bank.status == BankStatus::PAUSED || bank.status == BankStatus::STOPPED) return;
    while (!bank.queue.empty() && bank.inflight < bank.concurrency) {
      int level = bank.queue.best_level(now);
      RequestQueue::Entry entry = bank.queue.pop(level);
      StoredRequest* s = store.find(entry.id);
      if (s == nullptr || s->record.status != RequestStatus::PENDING || s->record.waiting_retry) {
        continue;  // stale: cancelled (or evicted) while queued
      }
      RequestRecord& r = s->record;
      int w = bank.balancer->pick(bank.slots, r.action);
      if (w < 0) {
        bank.queue.push_front(level, entry.id, entry.enqueued_ns);
        break;
      }
      --bank.pending;
      --pending_total;
      ++inflight_total;
      queue_wait.add(now - entry.enqueued_ns);
      r.status = RequestStatus::ASSIGNED;
      r.worker = w;
      ++r.attempts;
      r.at_ns[idx(RequestStatus::ASSIGNED)] = now;
      hold(b, w, r.id, r.attempts, now, fx);
      if (r.timeout_ns > 0) add_timer(fx, Timer{now + r.timeout_ns, r.id, r.attempts, Timer::HELD});
      emit_request(fx, EventType::REQUEST_ASSIGNED, r, now);

      Dispatch d;
      d.request = r.id;
      d.attempt = r.attempts;
      d.bank = b;
      d.worker = w;
      d.action = &bank.manifest.actions[r.action].id;
      d.action_index = r.action;
      if (bank.kind == BankKind::NATIVE) {
        d.params = s->params;
        // An idle native worker starts it at once: mark it now and spare the pool thread a
        // locked round trip per attempt to report the start.
        if (bank.slots[static_cast<std::size_t>(w)].inflight == 1) {
          mark_processing(r, now, fx);
          d.started = true;
        }
        fx.run.emplace_back(bank.pool.get(), std::move(d));
      } else {
        outbox.push(std::move(d));
        fx.signal_outbox = true;
      }
      check_queue_drained(now, fx);
    }
    admit_waiting(now, fx);
  }

  // Moves requests waiting for room into their queues, oldest first, while there is room.
  // Each costs O(1) (cancelled ones are skipped as they come up); pump() calls it, so room
  // freed by an assignment is taken at once.
  void admit_waiting(std::int64_t now, Effects& fx) {
    if (waiting_for_room == 0 || admitting_waiting) return;
    admitting_waiting = true;
    while (!waiting_room.empty() && (config.max_queue == 0 || pending_total < config.max_queue)) {
      RequestId id = waiting_room.front();
      waiting_room.pop_front();
      StoredRequest* s = store.find(id);
      if (s == nullptr || !s->record.waiting_room) continue;  // cancelled while it waited
      s->record.waiting_room = false;
      --waiting_for_room;
      ++pending_total;
      enqueue(*s, now, false);
      pump(s->record.bank, now, fx);
    }
    if (waiting_for_room == 0) waiting_room.clear();  // only skipped ids were left
    admitting_waiting = false;
  }

  // Accepts one request (the caller holds the lock) or throws Error, counting the refusal.
  RequestId admit(SubmitSpec& spec, Effects& fx) {
    auto reject = [&](ErrorCode code, const std::string& message) -> Error {
      ++counters.rejected;
      return Error(code, message);
    };
    if (spec.priority < MIN_PRIORITY || spec.priority > MAX_PRIORITY) {
      throw reject(ErrorCode::INVALID_ARGUMENT, "expected an integer priority from 0 to 10 but received " +
                                                    std::to_string(spec.priority));
    }
    if (spec.timeout_ms && (*spec.timeout_ms < 0 || *spec.timeout_ms > MAX_TIMEOUT_MS)) {
      throw reject(ErrorCode::INVALID_ARGUMENT, "expected a timeout from 0 to 9.2e12 ms but received " +
                                                    std::to_string(*spec.timeout_ms));
    }
    if (spec.retries && (*spec.retries < 0 || *spec.retries > MAX_RETRIES)) {
      throw reject(ErrorCode::INVALID_ARGUMENT, "expected retries from 0 to 100 but received " +
                                                    std::to_string(*spec.retries));
    }
    if (shutting_down) {
      throw reject(ErrorCode::SHUTTING_DOWN, "the manager is shutting down and takes no new requests");
    }
    if (config.max_payload_bytes > 0 && spec.payload_bytes > config.max_payload_bytes) {
      throw reject(ErrorCode::PAYLOAD_TOO_LARGE,
                   "expected params of at most " + std::to_string(config.max_payload_bytes) +
                       " bytes but received " + std::to_string(spec.payload_bytes));
    }
    // Route: the pinned bank, or the least loaded bank that serves the task.
    std::optional<std::uint32_t> task_id;
    const std::string* task_name = &spec.task;  // for messages
    if (spec.task_index < 0) {
      task_id = tasks.find(spec.task);
    } else if (static_cast<std::size_t>(spec.task_index) < tasks.size()) {
      task_id = static_cast<std::uint32_t>(spec.task_index);
      task_name = &tasks.name(*task_id);
    }
    auto found = task_id ? routes.find(*task_id) : routes.end();
    if (found == routes.end()) {
      throw reject(ErrorCode::UNKNOWN_TASK, "expected a task some bank can run but received \"" +
                                                (spec.task_index < 0 || task_id ? *task_name : "#" + std::to_string(spec.task_index)) + "\"");
    }
    const std::pair<std::uint32_t, std::uint16_t>* chosen = nullptr;
    double best_load = 0;
    bool saw_draining = false;
    for (const auto& route : found->second) {
      const BankRuntime& bank = *banks[route.first];
      if (!spec.bank.empty() && bank.id != spec.bank) continue;
      if (bank.status == BankStatus::DRAINING || bank.status == BankStatus::STOPPED) {
        saw_draining = true;
        continue;
      }
      double load = static_cast<double>(bank.pending + static_cast<std::size_t>(bank.inflight)) /
                    static_cast<double>(bank.capacity());
      if (chosen == nullptr || load < best_load) {
        chosen = &route;
        best_load = load;
      }
    }
    if (chosen == nullptr) {
      if (saw_draining) {
        throw reject(ErrorCode::SHUTTING_DOWN, "every bank that runs \"" + *task_name +
                                                   "\" is draining or stopped");
      }
      if (bank_index.count(spec.bank) == 0) {
        throw reject(ErrorCode::UNKNOWN_BANK, "expected a registered bank id but received \"" +
                                                  spec.bank + "\"");
      }
      throw reject(ErrorCode::UNKNOWN_TASK, "bank \"" + spec.bank + "\" cannot run task \"" +
                                                *task_name + "\"");
    }
    BankRuntime& bank = *banks[chosen->first];
    const ActionSpec& action = bank.manifest.actions[chosen->second];
    if (spec.params) {
      try {
        validate_params(action, *spec.params);
      } catch (const Error& error) {
        throw reject(error.code(), error.what());
      }
    } else if (bank.kind == BankKind::NATIVE && !action.parameters.empty()) {
      validate_params(action, nlohmann::json::object());  // names the first required param
    }
    // Over the bound, or behind others that wait: wait too (keeping their order), or refuse.
    bool full = config.max_queue > 0 && pending_total >= config.max_queue;
    bool wait = spec.wait_for_room && (full || waiting_for_room > 0);
    if (full && !wait) {
      queue_was_full = true;
      throw reject(ErrorCode::QUEUE_FULL, "expected room in the queue but it holds " +
                                              std::to_string(pending_total) + " of " +
                                              std::to_string(config.max_queue) + " requests");
    }

    std::int64_t now = clock->now_ns();
    RequestId id = next_id++;
    StoredRequest& s = store.insert(id);
    RequestRecord& r = s.record;
    r.task = *task_id;
    r.bank = chosen->first;
    r.action = chosen->second;
    r.client = clients.intern(spec.client);
    r.priority = static_cast<std::int8_t>(spec.priority);
    int retries = spec.retries ? *spec.retries : (action.retryable ? config.default_retries : 0);
    r.max_attempts = static_cast<std::uint8_t>(1 + std::clamp(retries, 0, MAX_RETRIES));
    r.timeout_ns = spec.timeout_ms ? *spec.timeout_ms * NS_PER_MS : bank.action_timeout_ns[r.action];
    r.at_ns[idx(RequestStatus::PENDING)] = now;
    r.submitted_ns = now;
    if (bank.kind == BankKind::NATIVE) {
      s.params = std::make_shared<const nlohmann::json>(
          spec.params ? std::move(*spec.params) : nlohmann::json::object());
    }
    ++counters.total_requests;
    ++live;
    if (wait) {
      r.waiting_room = true;
      waiting_room.push_back(id);
      ++waiting_for_room;
      queue_was_full = true;
      emit_request(fx, EventType::REQUEST_SUBMITTED, r, now);
      return id;
    }
    ++pending_total;
    enqueue(s, now, false);
    // Reaching the bound arms the drain event as a rejection does: waiting callers (the
    // JS layer's 'wait' mode) may have seen the queue full.
    if (config.max_queue > 0 && pending_total >= config.max_queue) queue_was_full = true;
    emit_request(fx, EventType::REQUEST_SUBMITTED, r, now);
    pump(chosen->first, now, fx);
    return id;
  }

  // Ends a live request now with `error` (cancelled, its bank stopped), telling whoever runs
  // its attempt to stop.
  void end_request(StoredRequest& s, ErrorCode error, const std::string& message, std::int64_t now,
                   Effects& fx) {
    RequestRecord& r = s.record;
    if (r.status == RequestStatus::ASSIGNED || r.status == RequestStatus::PROCESSING) {
      abort_attempt(r, false, fx);
    }
    finish(s, error, message, nullptr, now, fx);
  }

  // Tells whoever runs an attempt that it is no longer wanted.
  void abort_attempt(const RequestRecord& r, bool timed_out, Effects& fx) {
    BankRuntime& bank = *banks[r.bank];
    Abort a{r.id, r.attempts, r.bank, r.worker, timed_out};
    if (bank.kind == BankKind::NATIVE) {
      fx.abort.emplace_back(bank.pool.get(), a);
    } else {
      outbox.push(a);
      fx.signal_outbox = true;
    }
  }

  // The native banks' pools, read under the lock, to be used after it is released (pools
  // report through complete(), which takes it).
  std::vector<NativePool*> native_pools() {
    std::vector<NativePool*> pools;
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& bank : banks) {
      if (bank->pool) pools.push_back(bank->pool.get());
    }
    return pools;
  }

  // Snapshots for observation, read under the lock (the caller holds it), so one scrape
  // (prometheus_text) sees one state.
  std::vector<BankInfo> banks_locked() const {
    std::vector<BankInfo> out;
    for (const auto& bank : banks) {
      BankInfo info;
      info.id = bank->id;
      info.name = bank->manifest.name;
      info.kind = bank->kind;
      info.status = bank->status;
      info.worker_count = static_cast<int>(bank->workers.size());
      info.concurrency = bank->concurrency;
      info.queue_depth = bank->pending;
      info.in_flight = bank->inflight;
      info.strategy = bank->strategy;
      for (const auto& action : bank->manifest.actions) info.actions.push_back(action.id);
      out.push_back(std::move(info));
    }
    return out;
  }

  SystemMetrics metrics_locked() const {
    std::int64_t now = clock->now_ns();
    SystemMetrics out = counters;
    out.pending = pending_total;
    out.waiting_for_room = waiting_for_room;
    out.in_flight = inflight_total;
    std::uint64_t finished = 0;
    for (auto n : out.finished) finished += n;
    out.success_rate = finished == 0 ? 1.0
                                     : static_cast<double>(out.finished[idx(RequestStatus::COMPLETED)]) /
                                           static_cast<double>(finished);
    out.processing = processing.percentiles();
    out.queue_wait = queue_wait.percentiles();
    int capacity = 0, inflight = 0;
    for (const auto& bank : banks) {
      for (const auto& slot : bank->slots) {
        ++out.worker_count;
        if (slot.inflight > 0) ++out.busy_workers;
      }
      capacity += bank->capacity();
      inflight += bank->inflight;
    }
    out.current_load = capacity == 0 ? 0.0 : std::min(1.0, static_cast<double>(inflight) / capacity);
    out.throughput_per_s = throughput.per_second(now);
    out.uptime_ms = (now - started_ns) / NS_PER_MS;
    out.stored_requests = store.size();
    return out;
  }

  std::vector<WorkerStatus> worker_status_locked() const {
    std::int64_t now = clock->now_ns();
    std::vector<WorkerStatus> out;
    for (const auto& bank : banks) {
      for (std::size_t i = 0; i < bank->workers.size(); ++i) {
        const WorkerRuntime& w = bank->workers[i];
        const WorkerSlot& slot = bank->slots[i];
        WorkerStatus st;
        st.worker_id = bank->id + "#" + std::to_string(i);
        st.bank = bank->id;
        st.index = static_cast<int>(i);
        st.kind = bank->kind;
        st.alive = slot.alive;
        st.busy = slot.inflight > 0;
        st.inflight = slot.inflight;
        st.capacity = slot.capacity;
        st.tasks_completed = w.completed;
        st.tasks_failed = w.failed;
        st.busy_ns = w.busy_ns + (slot.inflight > 0 ? now - w.busy_since_ns : 0);
        st.idle_ns = std::max<std::int64_t>(0, now - w.created_ns - st.busy_ns);
        RequestId current = w.current != NO_REQUEST ? w.current
                                                    : (w.held.empty() ? NO_REQUEST : w.held.front().first);
        st.current_request = current;
        if (const StoredRequest* s = current ? store.find(current) : nullptr) {
          st.current_task = tasks.name(s->record.task);
        }
        st.restarts = w.restarts;
        out.push_back(std::move(st));
      }
    }
    return out;
  }

  // Runs `body` under the engine's lock, then carries out the effects it decided, after the
  // lock is released: every operation that changes state goes through here ("decide under
  // the lock, act after it"). If `body` throws, nothing was decided that must be carried out.
  template <typename Body>
  auto locked(Body&& body, bool defer_native_wakes = false) {
    Effects fx;
    fx.defer_native_wakes = defer_native_wakes;
    using Result = decltype(body(fx));
    if constexpr (std::is_void_v<Result>) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        body(fx);
      }
      apply(fx);
    } else {
      std::optional<Result> out;
      {
        std::lock_guard<std::mutex> lock(mutex);
        out.emplace(body(fx));
      }
      apply(fx);
      return std::move(*out);
    }
  }

  // Runs after the lock is released.
  void apply(Effects& fx) {
    for (auto& [pool, abort] : fx.abort) pool->abort(abort.request, abort.attempt, abort.worker);
    bool wake_owed = false;
    for (auto& [pool, dispatch] : fx.run) wake_owed |= pool->enqueue(std::move(dispatch), !fx.defer_native_wakes);
    if (wake_owed) native_wakes_owed.store(true, std::memory_order_release);
    if (fx.wake_timer) {
      { std::lock_guard<std::mutex> lock(mutex); }  // pairs with the timer thread's wait
      timer_cv.notify_one();
    }
    if (fx.signal_outbox) outbox.signal();
    // Last, so a thread woken by wait_finished() sees every listener call already made.
    if (fx.became_finished) finished_cv.notify_all();
  }

  void timer_loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!timer_stop) {
      if (timers.empty()) {
        timer_cv.wait(lock);
        continue;
      }
      std::int64_t wait_ns = timers.next_deadline_ns() - clock->now_ns();
      if (wait_ns > 0) {
        timer_cv.wait_for(lock, std::chrono::nanoseconds(wait_ns));
        continue;
      }
      lock.unlock();
      owner.tick();
      lock.lock();
    }
  }
};

// -------------------------------------------------------------------------------------

Engine::Engine(EngineConfig config, std::shared_ptr<HandlerRegistry> handlers) {
  clock_ = config.clock ? config.clock : std::make_shared<SteadyClock>();
  bool with_timer_thread = config.timer_thread;
  impl_ = std::make_unique<Impl>(*this, std::move(config), std::move(handlers));
  impl_->clock = clock_.get();
  impl_->store = RequestStore(impl_->config.history_limit);
  impl_->event_mask = impl_->config.event_mask;
  impl_->started_ns = clock_->now_ns();
  if (with_timer_thread) impl_->timer_thread = std::thread([this] { impl_->timer_loop(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->timer_stop = true;
  }
  impl_->timer_cv.notify_one();
  if (impl_->timer_thread.joinable()) impl_->timer_thread.join();
  // Pools report their queued jobs through complete(), which takes the lock: stop them
  // without holding it.
  for (auto& bank : impl_->banks) {
    if (bank->pool) bank->pool->stop();
  }
}

std::uint32_t Engine::register_bank(BankConfig config) {
  auto& m = *impl_;
  if (config.id.empty()) throw Error(ErrorCode::INVALID_ARGUMENT, "expected a non-empty bank id");
  if (config.worker_count < 1 || config.worker_count > MAX_WORKERS) {
    throw Error(ErrorCode::INVALID_ARGUMENT, "expected workerCount from 1 to 1024 for bank \"" +
                                                 config.id + "\" but received " +
                                                 std::to_string(config.worker_count));
  }
  if (config.concurrency < 0) {
    throw Error(ErrorCode::INVALID_ARGUMENT, "expected a concurrency of 0 (automatic) or more but received " +
                                                 std::to_string(config.concurrency));
  }
  if (config.manifest.actions.empty()) {
    throw Error(ErrorCode::INVALID_MANIFEST, "expected a manifest with at least one action for bank \"" +
                                                 config.id + "\"");
  }
  std::vector<std::shared_ptr<const NativeHandler>> native;  // by action index
  if (config.kind == BankKind::NATIVE) {
    for (const auto& action : config.manifest.actions) {
      auto handler = m.handlers ? m.handlers->find(action.id) : nullptr;
      if (!handler) {
        throw Error(ErrorCode::INVALID_MANIFEST, "native bank \"" + config.id +
                                                     "\" declares action \"" + action.id +
                                                     "\" but no native handler has that name");
      }
      native.push_back(std::move(handler));
    }
  }

  auto bank = std::make_unique<BankRuntime>();
  bank->id = config.id;
  bank->kind = config.kind;
  bank->strategy = config.strategy;
  bank->queue = RequestQueue(m.config.aging_step_ms * NS_PER_MS);
  if (config.prefetch != AUTO_PREFETCH && (config.prefetch < 0 || config.prefetch > MAX_PREFETCH)) {
    throw Error(ErrorCode::INVALID_ARGUMENT, "expected a prefetch from 0 to " + std::to_string(MAX_PREFETCH) +
                                                 " or auto but received " + std::to_string(config.prefetch));
  }
  bank->per_worker_base = std::max(1, config.manifest.max_concurrent_tasks);
  if (config.prefetch == AUTO_PREFETCH) bank->auto_prefetch.emplace();
  // What a worker may hold beyond what it runs now, and the most it ever may (which sets the
  // default concurrency limit).
  int prefetch_now = bank->auto_prefetch ? bank->auto_prefetch->window() : config.prefetch;
  int prefetch_most = bank->auto_prefetch ? MAX_PREFETCH : config.prefetch;
  int per_worker = bank->per_worker_base + prefetch_now;
  bank->concurrency = config.concurrency > 0 ? config.concurrency
                                             : config.worker_count * (bank->per_worker_base + prefetch_most);
  std::vector<std::int64_t> estimates;
  for (const auto& action : config.manifest.actions) {
    estimates.push_back(action.estimated_duration_ms * NS_PER_MS);
    auto timeout_ms = action.timeout_ms ? action.timeout_ms : config.manifest.default_timeout_ms;
    bank->action_timeout_ns.push_back(timeout_ms.value_or(0) * NS_PER_MS);
  }
  bank->balancer = make_balancer(config.strategy, config.worker_count, std::move(estimates));
  bank->slots.assign(static_cast<std::size_t>(config.worker_count), WorkerSlot{0, per_worker, true});
  for (std::int32_t worker : config.starting) {
    if (config.kind != BankKind::SCRIPT || worker < 0 || worker >= config.worker_count) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "expected starting workers of a script bank from 0 to " +
                                                   std::to_string(config.worker_count - 1) +
                                                   " but received " + std::to_string(worker));
    }
    bank->slots[static_cast<std::size_t>(worker)].alive = false;
  }
  bank->workers.resize(static_cast<std::size_t>(config.worker_count));
  bank->manifest = std::move(config.manifest);

  return m.locked([&](Impl::Effects& fx) {
    if (m.shutting_down) throw Error(ErrorCode::SHUTTING_DOWN, "the manager is shutting down");
    if (m.bank_index.count(bank->id) != 0) {
      throw Error(ErrorCode::DUPLICATE_BANK, "expected a new bank id but \"" + bank->id +
                                                 "\" is already registered");
    }
    std::int64_t now = m.clock->now_ns();
    for (auto& worker : bank->workers) worker.created_ns = now;
    auto index = static_cast<std::uint32_t>(m.banks.size());
    if (bank->kind == BankKind::NATIVE) {
      Engine* self = this;
      bank->pool = std::make_unique<NativePool>(
          config.worker_count, std::move(native),
          [self](const Dispatch& d) { self->started(d.request, d.attempt); },
          [self](const Dispatch& d, Outcome&& outcome) {
            self->complete(d.request, d.attempt, d.bank, d.worker, std::move(outcome));
          },
          m.config.native_threads);
    }
    for (std::size_t a = 0; a < bank->manifest.actions.size(); ++a) {
      m.routes[m.tasks.intern(bank->manifest.actions[a].id)].emplace_back(
          index, static_cast<std::uint16_t>(a));
    }
    m.bank_index.emplace(bank->id, index);
    m.banks.push_back(std::move(bank));
    m.emit_bank(fx, index, now);
    return index;
  });
}

void Engine::register_task(const std::string& task, const std::string& bank_id,
                           const std::string& action) {
  auto& m = *impl_;
  if (task.empty()) throw Error(ErrorCode::INVALID_ARGUMENT, "expected a non-empty task id");
  std::lock_guard<std::mutex> lock(m.mutex);
  BankRuntime& bank = m.bank_named(bank_id);
  const auto& actions = bank.manifest.actions;
  auto it = std::find_if(actions.begin(), actions.end(), [&](const auto& a) { return a.id == action; });
  if (it == actions.end()) {
    throw Error(ErrorCode::UNKNOWN_TASK, "expected an action of bank \"" + bank_id +
                                             "\" but received \"" + action + "\"");
  }
  auto& routes = m.routes[m.tasks.intern(task)];
  std::pair<std::uint32_t, std::uint16_t> route{m.bank_index[bank_id],
                                                static_cast<std::uint16_t>(it - actions.begin())};
  if (std::find(routes.begin(), routes.end(), route) == routes.end()) routes.push_back(route);
}

void Engine::pause_bank(const std::string& bank_id) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_named(bank_id);
    if (bank.status == BankStatus::ACTIVE) {
      bank.status = BankStatus::PAUSED;
      m.emit_bank(fx, m.bank_index[bank_id], m.clock->now_ns());
    }
  });
}

void Engine::resume_bank(const std::string& bank_id) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_named(bank_id);
    if (bank.status == BankStatus::PAUSED) {
      std::uint32_t b = m.bank_index[bank_id];
      std::int64_t now = m.clock->now_ns();
      bank.status = BankStatus::ACTIVE;
      m.emit_bank(fx, b, now);
      m.pump(b, now, fx);
    }
  });
}

void Engine::drain_bank(const std::string& bank_id) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_named(bank_id);
    if (bank.status != BankStatus::DRAINING && bank.status != BankStatus::STOPPED) {
      std::uint32_t b = m.bank_index[bank_id];
      std::int64_t now = m.clock->now_ns();
      bank.status = BankStatus::DRAINING;
      m.emit_bank(fx, b, now);
      m.pump(b, now, fx);  // a paused bank that drains runs its queue again
    }
  });
}

void Engine::stop_bank(const std::string& bank_id, ErrorCode code, const std::string& message) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_named(bank_id);
    std::uint32_t b = m.bank_index[bank_id];
    std::int64_t now = m.clock->now_ns();
    if (bank.status != BankStatus::STOPPED) {
      bank.status = BankStatus::STOPPED;
      m.emit_bank(fx, b, now);
    }
    for (RequestId id : m.store.live_ids()) {
      StoredRequest* s = m.store.find(id);
      if (s == nullptr || is_final(s->record.status) || s->record.bank != b) continue;
      m.end_request(*s, code, message, now, fx);
    }
    m.admit_waiting(now, fx);  // the places its queued requests held are free
  });
}

void Engine::set_concurrency(const std::string& bank_id, int limit) {
  auto& m = *impl_;
  if (limit < 1 || limit > MAX_WORKERS * 1024) {
    throw Error(ErrorCode::INVALID_ARGUMENT,
                "expected a concurrency limit of at least 1 but received " + std::to_string(limit));
  }
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_named(bank_id);
    bank.concurrency = limit;
    m.pump(m.bank_index[bank_id], m.clock->now_ns(), fx);
  });
}

std::vector<BankInfo> Engine::banks() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->banks_locked();
}

std::string Engine::bank_id(std::uint32_t bank) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->bank_at(bank).id;
}

RequestId Engine::submit(SubmitSpec spec) {
  auto& m = *impl_;
  RequestId id = m.locked([&](Impl::Effects& fx) { return m.admit(spec, fx); }, m.config.defer_native_wakes);
  after_submits(1);
  return id;
}

std::int32_t Engine::task_index(const std::string& task) const {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  auto id = m.tasks.find(task);
  return id && m.routes.count(*id) != 0 ? static_cast<std::int32_t>(*id) : -1;
}

void Engine::submit_many(std::vector<SubmitSpec>& specs, std::vector<Admission>& out,
                         bool wait_for_room) {
  auto& m = *impl_;
  out.clear();
  out.resize(specs.size());
  // One lock (and one round of effects) per slice rather than per request; slices keep a
  // long batch from holding off the threads that report results.
  constexpr std::size_t SLICE = 64;
  for (std::size_t begin = 0; begin < specs.size(); begin += SLICE) {
    std::size_t end = std::min(specs.size(), begin + SLICE);
    m.locked([&](Impl::Effects& fx) {
      for (std::size_t i = begin; i < end; ++i) {
        specs[i].wait_for_room = specs[i].wait_for_room || wait_for_room;
        try {
          out[i].id = m.admit(specs[i], fx);
        } catch (const Error& error) {
          out[i].error = error.code();
          out[i].message = error.what();
        }
      }
    }, m.config.defer_native_wakes);
    after_submits(end - begin);
  }
}

void Engine::after_submits(std::size_t count) {
  auto& m = *impl_;
  // A long synchronous run of submits must not keep native threads asleep until the host's
  // flush: every DEFERRED_SUBMIT_LIMIT submits, owed wakes are paid on the spot.
  if (m.config.defer_native_wakes && m.native_wakes_owed.load(std::memory_order_relaxed) &&
      m.submits_while_owed.fetch_add(static_cast<std::uint32_t>(count), std::memory_order_relaxed) + count >= DEFERRED_SUBMIT_LIMIT) {
    wake_native();
  }
}

bool Engine::cancel(RequestId id, ErrorCode reason, const std::string& message) {
  auto& m = *impl_;
  return m.locked([&](Impl::Effects& fx) {
    StoredRequest* s = m.store.find(id);
    if (s == nullptr || is_final(s->record.status)) return false;
    std::int64_t now = m.clock->now_ns();
    m.end_request(*s, reason, message, now, fx);
    m.admit_waiting(now, fx);  // a queued request's place is free
    return true;
  });
}

void Engine::started(RequestId id, std::uint8_t attempt) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) { m.started_locked(id, attempt, m.clock->now_ns(), fx); });
}

void Engine::started_many(const std::vector<AttemptRef>& attempts) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    std::int64_t now = m.clock->now_ns();
    for (const auto& [id, attempt] : attempts) m.started_locked(id, attempt, now, fx);
  });
}

bool Engine::complete(RequestId id, std::uint8_t attempt, std::uint32_t bank_index,
                      std::int32_t worker, Outcome outcome) {
  auto& m = *impl_;
  return m.locked([&](Impl::Effects& fx) {
    std::int64_t now = m.clock->now_ns();
    bool accepted = false;
    if (m.complete_locked(bank_index, worker, id, attempt, outcome, now, fx, &accepted)) {
      m.pump(bank_index, now, fx);
    }
    return accepted;
  });
}

void Engine::complete_many(std::uint32_t bank_index, std::int32_t worker, std::vector<Completion>& results) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    std::int64_t now = m.clock->now_ns();
    bool any = false;
    for (Completion& c : results) {
      any = m.complete_locked(bank_index, worker, c.request, c.attempt, c.outcome, now, fx, &c.accepted) || any;
    }
    // One refill of the freed slots after the whole batch.
    if (any) m.pump(bank_index, now, fx);
  });
}

std::int64_t Engine::worker_lost(std::uint32_t bank_index, std::int32_t worker, ErrorCode reason,
                                 const std::string& message, const std::vector<AttemptRef>* running) {
  auto& m = *impl_;
  return m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_at(bank_index);
    std::size_t at = Impl::worker_index(bank, worker);
    std::int64_t now = m.clock->now_ns();
    WorkerRuntime& w = bank.workers[at];
    bank.slots[at].alive = false;
    auto held = w.held;  // release() edits the list
    bool any_started = false;
    for (const auto& [id, attempt] : held) {
      const StoredRequest* s = m.store.find(id);
      if (s && s->record.attempts == attempt && s->record.status == RequestStatus::PROCESSING) {
        any_started = true;
      }
    }
    std::vector<StoredRequest*> requeue;
    bool first = true;
    for (const auto& held_attempt : held) {
      const auto& [id, attempt] = held_attempt;
      m.release(bank_index, worker, id, attempt, now, fx);
      StoredRequest* s = m.store.find(id);
      bool oldest = first;
      first = false;
      if (s == nullptr || s->record.attempts != attempt) continue;
      RequestRecord& r = s->record;
      if (r.status != RequestStatus::ASSIGNED && r.status != RequestStatus::PROCESSING) continue;
      bool ran = running != nullptr
                     ? std::find(running->begin(), running->end(), held_attempt) != running->end()
                     : r.status == RequestStatus::PROCESSING || (oldest && !any_started);
      if (ran) {
        ++w.failed;
        m.attempt_failed(*s, reason, message, now, fx);
      } else {
        requeue.push_back(s);
      }
    }
    // Never started, or finished with the result lost with the worker: back to the head of
    // their level in their old order (hence pushed front last to first), the attempt not
    // counted.
    for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) {
      RequestRecord& r = (*it)->record;
      --r.attempts;
      --m.inflight_total;
      ++m.pending_total;
      r.status = RequestStatus::PENDING;
      r.worker = -1;
      m.enqueue(**it, now, true);
    }
    m.emit_worker(fx, bank_index, worker, WorkerState::LOST, now);
    std::int64_t restart_delay_ms = 0;
    if (reason == ErrorCode::WORKER_CRASHED) restart_delay_ms = m.worker_died(bank_index, message, now, fx);
    m.pump(bank_index, now, fx);
    return restart_delay_ms;
  });
}

void Engine::worker_replaced(std::uint32_t bank_index, std::int32_t worker) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_at(bank_index);
    std::size_t at = Impl::worker_index(bank, worker);
    std::int64_t now = m.clock->now_ns();
    bank.slots[at].alive = true;
    ++bank.workers[at].restarts;
    m.emit_worker(fx, bank_index, worker, WorkerState::REPLACED, now);
    m.pump(bank_index, now, fx);
  });
}

void Engine::worker_started(std::uint32_t bank_index, std::int32_t worker) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    BankRuntime& bank = m.bank_at(bank_index);
    bank.slots[Impl::worker_index(bank, worker)].alive = true;
    m.pump(bank_index, m.clock->now_ns(), fx);
  });
}

std::int64_t Engine::tick() {
  auto& m = *impl_;
  return m.locked([&](Impl::Effects& fx) {
    std::int64_t now = m.clock->now_ns();
    std::vector<std::uint32_t> touched;
    while (std::optional<Timer> due = m.timers.pop_due(now)) {
      const Timer& t = *due;
      StoredRequest* s = m.store.find(t.request);
      if (s == nullptr || s->record.attempts != t.attempt) continue;
      RequestRecord& r = s->record;
      if (t.kind == Timer::RETRY) {
        if (r.status != RequestStatus::PENDING || !r.waiting_retry) continue;
        r.waiting_retry = false;
        m.enqueue(*s, now, false);
        touched.push_back(r.bank);
      } else {
        // An attempt a lost worker never ran is reassigned under the same number: only the
        // timer of its current start (or, not yet started, its current hand-over) counts.
        RequestStatus from = t.kind == Timer::STARTED ? RequestStatus::PROCESSING : RequestStatus::ASSIGNED;
        if (r.status != from || t.deadline_ns != r.at_ns[idx(from)] + r.timeout_ns) continue;
        m.abort_attempt(r, true, fx);
        ++m.banks[r.bank]->workers[static_cast<std::size_t>(r.worker)].failed;
        // A bank whose attempts start hanging must stop handing more to each worker: the
        // attempt ran at least this long (its late result, if any, says how long).
        m.banks[r.bank]->record_duration(r.timeout_ns);
        // attempt_failed() may finish the request, and with no history that drops its
        // record: read what is needed first.
        std::uint32_t bank = r.bank;
        m.attempt_failed(*s, ErrorCode::TIMEOUT,
                         t.kind == Timer::STARTED ? Impl::timeout_message(r) : Impl::held_message(r), now, fx);
        touched.push_back(bank);
      }
    }
    for (auto b : touched) m.pump(b, now, fx);
    return m.timers.next_deadline_ns();
  });
}

void Engine::wake_native() {
  auto& m = *impl_;
  if (!m.native_wakes_owed.exchange(false, std::memory_order_acq_rel)) return;
  m.submits_while_owed.store(0, std::memory_order_relaxed);
  for (NativePool* pool : m.native_pools()) pool->wake_owed();
}

std::size_t Engine::run_native(std::size_t max_jobs) {
  if (impl_->config.native_threads) return 0;
  // Pools report through complete(), which takes the lock: run them without holding it.
  std::size_t ran = 0;
  for (NativePool* pool : impl_->native_pools()) {
    if (ran >= max_jobs) break;
    ran += pool->run_pending(max_jobs - ran);
  }
  return ran;
}

std::int64_t Engine::next_deadline_ns() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->timers.next_deadline_ns();
}

void Engine::shutdown(bool drain) {
  auto& m = *impl_;
  m.locked([&](Impl::Effects& fx) {
    std::int64_t now = m.clock->now_ns();
    m.shutting_down = true;
    // Requests still waiting for room never joined the queue: they end here, drain or not.
    while (!m.waiting_room.empty()) {
      StoredRequest* s = m.store.find(m.waiting_room.front());
      m.waiting_room.pop_front();
      if (s && s->record.waiting_room) {
        m.finish(*s, ErrorCode::SHUTTING_DOWN,
                 "cancelled by shutdown while it waited for room in the queue", nullptr, now, fx);
      }
    }
    if (!drain) {
      m.shutting_down_without_drain = true;
      // Everything not yet running is cancelled: queued requests and retries in backoff.
      for (std::uint32_t b = 0; b < m.banks.size(); ++b) {
        m.fail_queued(b, ErrorCode::SHUTTING_DOWN, "cancelled by shutdown", now, fx);
      }
      for (RequestId id : m.timers.retrying()) {
        StoredRequest* s = m.store.find(id);
        if (s && s->record.status == RequestStatus::PENDING && s->record.waiting_retry) {
          m.finish(*s, ErrorCode::SHUTTING_DOWN, "cancelled by shutdown", nullptr, now, fx);
        }
      }
    }
    for (std::uint32_t b = 0; b < m.banks.size(); ++b) {
      BankRuntime& bank = *m.banks[b];
      if (bank.status == BankStatus::PAUSED && drain) bank.status = BankStatus::ACTIVE;
      m.pump(b, now, fx);
    }
    if (m.live == 0) fx.became_finished = true;
  });
}

bool Engine::finished() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->shutting_down && impl_->live == 0;
}

bool Engine::wait_finished(std::int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  return impl_->finished_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return impl_->shutting_down && impl_->live == 0;
  });
}

void Engine::drain_outbox(Outbox& out) { impl_->outbox.take(out); }

void Engine::set_outbox_listener(std::function<void()> listener) {
  impl_->outbox.set_listener(std::move(listener));
}

void Engine::set_event_mask(std::uint32_t mask) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->event_mask = mask & ALL_EVENTS;
}

std::optional<RequestInfo> Engine::request(RequestId id) const {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  const StoredRequest* s = m.store.find(id);
  if (s == nullptr) return std::nullopt;
  return m.store.info(*s, m.tasks, m.clients,
                      [&](std::uint32_t b) -> const std::string& { return m.bank_name(b); });
}

QueryResult Engine::query(const RequestQuery& query) const {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  return m.store.query(query, m.tasks, m.clients,
                       [&](std::uint32_t b) -> const std::string& { return m.bank_name(b); });
}

SystemMetrics Engine::metrics() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->metrics_locked();
}

std::vector<WorkerStatus> Engine::worker_status() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->worker_status_locked();
}

BalanceReport Engine::balance_report(const std::string& bank_id) const {
  auto& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  BankRuntime& bank = m.bank_named(bank_id);
  std::int64_t now = m.clock->now_ns();
  BalanceReport report;
  report.bank = bank.id;
  report.strategy = bank.strategy;
  std::uint64_t total = 0, most = 0;
  for (std::size_t i = 0; i < bank.workers.size(); ++i) {
    const WorkerRuntime& w = bank.workers[i];
    report.assigned.push_back(w.assigned);
    report.busy_ns.push_back(w.busy_ns + (bank.slots[i].inflight > 0 ? now - w.busy_since_ns : 0));
    total += w.assigned;
    most = std::max(most, w.assigned);
  }
  if (total > 0) {
    double mean = static_cast<double>(total) / static_cast<double>(bank.workers.size());
    report.imbalance = static_cast<double>(most) / mean;
  }
  return report;
}

std::string Engine::prometheus_text() const {
  // One lock for the whole scrape: the counters, workers and banks are one state.
  std::lock_guard<std::mutex> lock(impl_->mutex);
  SystemMetrics system = impl_->metrics_locked();
  std::vector<WorkerStatus> workers = impl_->worker_status_locked();
  std::vector<BankInfo> bank_list = impl_->banks_locked();
  PrometheusInput input;
  input.system = &system;
  input.workers = &workers;
  input.banks = &bank_list;
  input.processing = &impl_->processing;
  input.manager = impl_->config.name;
  return threadbank::prometheus_text(input);
}

}  // namespace threadbank
