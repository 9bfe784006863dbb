#pragma once
/// @file engine.h
/// @brief The scheduler: routes requests to banks, queues them by priority, assigns them
/// to workers, and drives each request through its lifecycle (retries, timeouts,
/// cancellation), recording metrics and events. Thread-safe; every public method may be
/// called from any thread.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "threadbank/balancer.h"
#include "threadbank/clock.h"
#include "threadbank/error.h"
#include "threadbank/events.h"
#include "threadbank/executor.h"
#include "threadbank/handlers.h"
#include "threadbank/manifest.h"
#include "threadbank/metrics.h"
#include "threadbank/outbox.h"
#include "threadbank/prefetch.h"
#include "threadbank/request.h"
#include "threadbank/request_store.h"

namespace threadbank {

struct EngineConfig {
  std::string name = "threadbank";
  std::size_t max_queue = 100'000;      ///< pending requests over all banks; 0 = unbounded
  std::size_t history_limit = 10'000;   ///< finished requests kept for queries
  int default_retries = 2;              ///< retries for retryable actions when none is given
  std::int64_t retry_base_ms = 100;     ///< backoff: base * 2^(retry-1), capped
  std::int64_t retry_max_ms = 10'000;
  std::int64_t aging_step_ms = 1'000;   ///< waiting this long adds one priority level; 0 = off
  std::size_t max_payload_bytes = 0;    ///< 0 = unlimited (checked on the size callers report)
  /// A bank whose workers die this many times in a row without finishing an attempt is
  /// FAILING: its queued requests fail with WORKER_CRASHED rather than wait for ever.
  int max_consecutive_deaths = 5;
  /// Replacing a dead worker backs off: the first replacement after a finished attempt is
  /// immediate, the next waits restart_base_ms, then twice as long each time, capped.
  std::int64_t restart_base_ms = 100;
  std::int64_t restart_max_ms = 10'000;
  std::uint32_t event_mask = 0;         ///< events to collect (event_bit); none by default
  std::shared_ptr<Clock> clock;         ///< null = SteadyClock
  /// Start a thread that fires timeouts and retries on time. Off for manual clocks (time
  /// moves only in tick()) and for hosts without threads, which call tick() themselves.
  bool timer_thread = true;
  /// Run native actions on threads of their own. Hosts without threads (a wasm build for
  /// pages that are not cross-origin isolated) set false and call run_native() instead.
  bool native_threads = true;
  /// Native attempts that submit() dispatches are queued on their worker without waking
  /// it; the host calls wake_native() once its burst of submits is over. A sleeping
  /// thread is then woken once per burst instead of once per request (the wake-up is a
  /// syscall on the submitting thread). Only for hosts that promise that call, as the
  /// bindings do: their JS side calls it from the flush it schedules after every submit.
  bool defer_native_wakes = false;
};

struct BankConfig {
  std::string id;
  Manifest manifest;
  BankKind kind = BankKind::SCRIPT;
  int worker_count = 1;
  BalanceStrategy strategy = BalanceStrategy::LEAST_LOADED;
  /// Extra attempts a worker may hold beyond max_concurrent_tasks, queued inside it so it
  /// never idles waiting for the next message (script workers; 0 for native ones): 0 to
  /// MAX_PREFETCH, or AUTO_PREFETCH for a window that follows the bank's task durations
  /// (see prefetch.h).
  int prefetch = 0;
  int concurrency = 0;  ///< limit on in-flight attempts; 0 = workers * per-worker capacity
  /// Script workers still starting: they take no work until Engine::worker_started(), so a
  /// bank can take requests as soon as its first worker is ready.
  std::vector<std::int32_t> starting;
};

struct SubmitSpec {
  std::string task;
  /// The task by its index (Engine::task_index), sparing the lookup by name; -1: by `task`.
  std::int32_t task_index = -1;
  /// Params for native actions (moved into the engine). For script actions the payload
  /// stays with the caller; pass params only to have them validated against the manifest.
  std::optional<nlohmann::json> params;
  std::size_t payload_bytes = 0;  ///< size the caller measured, checked against the limit
  int priority = DEFAULT_PRIORITY;
  std::optional<std::int64_t> timeout_ms;  ///< per attempt; 0 = none
  std::optional<int> retries;              ///< overrides the action's default
  std::string client;
  std::string bank;  ///< pin to a bank; empty = route by task
  /// Over the queue bound, wait for room instead of failing with QUEUE_FULL: the request is
  /// accepted (it has an id, can be cancelled) and joins the queue, in the order such
  /// requests were accepted, as room frees. Once any waits, later waiting ones wait behind.
  bool wait_for_room = false;
};

/// @brief What became of one submit of Engine::submit_many().
struct Admission {
  RequestId id = NO_REQUEST;         ///< the new request's id when accepted
  ErrorCode error = ErrorCode::OK;   ///< why it was refused otherwise
  std::string message;
};

class Engine {
 public:
  /// @param handlers native handlers by action id; needed for native banks
  explicit Engine(EngineConfig config, std::shared_ptr<HandlerRegistry> handlers = nullptr);
  ~Engine();  ///< stops native pools and the timer thread
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- registry ---------------------------------------------------------------------
  /// @brief Adds a bank; its actions become routable. Returns the bank's index.
  std::uint32_t register_bank(BankConfig config);
  /// @brief Routes `task` to `action` of `bank` (an alias beside the action's own id).
  void register_task(const std::string& task, const std::string& bank, const std::string& action);
  void pause_bank(const std::string& bank);
  void resume_bank(const std::string& bank);
  /// @brief Takes no new requests for the bank and finishes what it has queued.
  void drain_bank(const std::string& bank);
  /// @brief Stops a bank for good: it takes no new requests (SHUTTING_DOWN at submit), and
  /// every request it has that is not final (queued, waiting for a retry or for room, or
  /// running) ends now with `code` and `message`; running ones are told to stop. For a bank
  /// that cannot work any more (no worker of it can be started).
  void stop_bank(const std::string& bank, ErrorCode code, const std::string& message);
  /// @brief Changes a bank's in-flight limit at run time (>= 1).
  void set_concurrency(const std::string& bank, int limit);
  std::vector<BankInfo> banks() const;
  /// @brief The id of the bank with this index.
  std::string bank_id(std::uint32_t bank) const;

  // --- requests ---------------------------------------------------------------------
  /// @brief Accepts a request or throws Error (nothing is queued on error).
  RequestId submit(SubmitSpec spec);
  /// @brief The index SubmitSpec::task_index may name `task` by, or -1 while no bank runs
  /// it. An index stays valid for the engine's life.
  std::int32_t task_index(const std::string& task) const;
  /// @brief Submits each of `specs` in order, as submit() would, under one lock per slice
  /// of them: `out[i]` is the id or the error of `specs[i]`. Params are moved out.
  /// `wait_for_room` sets SubmitSpec::wait_for_room on every one.
  void submit_many(std::vector<SubmitSpec>& specs, std::vector<Admission>& out,
                   bool wait_for_room = false);
  /// @brief Cancels a live request; false when it already finished or is unknown.
  bool cancel(RequestId id, ErrorCode reason = ErrorCode::CANCELLED,
              const std::string& message = "cancelled by the caller");
  /// @brief A script worker started an attempt (ASSIGNED -> PROCESSING).
  void started(RequestId id, std::uint8_t attempt);
  /// @brief As started() for each, under one lock.
  void started_many(const std::vector<AttemptRef>& attempts);
  /// @brief An attempt ended. Always frees the worker's slot; the outcome is applied
  /// only if this attempt is still the request's current one. Returns whether it was
  /// (a worker that does not hold the attempt, or a late report, changes nothing).
  bool complete(RequestId id, std::uint8_t attempt, std::uint32_t bank, std::int32_t worker,
                Outcome outcome);
  /// @brief Several attempts of one worker ended (a script worker's batch of results): as
  /// complete() for each in order, under one lock, with the freed slots refilled once after
  /// the last. Moves the outcomes out of `results` and sets each one's `accepted`.
  void complete_many(std::uint32_t bank, std::int32_t worker, std::vector<Completion>& results);
  /// @brief A worker died (crash, terminated after a timeout). The attempts it was
  /// running fail with `reason` (and may be retried); the others it held go back to the
  /// queue head without using up an attempt. The worker takes no work until
  /// worker_replaced().
  ///
  /// `running` is what the host knows the worker was running when it died (script workers
  /// record it in memory shared with the host). Attempts it does not list are innocent even
  /// if reported started: they finished with their result unsent, or never began. Without
  /// it (nullptr) the started attempts are blamed, or the oldest held one when none is known
  /// to have started (workers run what they hold in order).
  ///
  /// A death with `reason` WORKER_CRASHED counts toward the bank's consecutive deaths (a
  /// worker the host stopped, after a timeout or an ignored cancel, does not). Returns how
  /// long the host should wait before starting the replacement (ms): the restart backoff.
  std::int64_t worker_lost(std::uint32_t bank, std::int32_t worker, ErrorCode reason,
                   const std::string& message,
                   const std::vector<AttemptRef>* running = nullptr);
  void worker_replaced(std::uint32_t bank, std::int32_t worker);
  /// @brief A worker listed in BankConfig::starting is ready and takes work from now on.
  /// Once only; a worker that never starts stays out of the rotation like a lost one.
  void worker_started(std::uint32_t bank, std::int32_t worker);

  /// @brief Fires due timeouts and retries. Returns the next deadline (ns) or -1.
  std::int64_t tick();
  std::int64_t next_deadline_ns() const;
  /// @brief Without native threads: runs up to `max_jobs` queued native attempts on the
  /// calling thread. Returns how many ran (0 with native threads).
  std::size_t run_native(std::size_t max_jobs);
  /// @brief Wakes the native workers that submit() left asleep with work queued (see
  /// EngineConfig::defer_native_wakes). Cheap when there are none.
  void wake_native();

  /// @brief Stops taking requests. With `drain`, queued requests still run; without it
  /// they are cancelled with E_SHUTTING_DOWN. Running attempts finish either way.
  void shutdown(bool drain);
  /// @brief True once shut down and nothing is live.
  bool finished() const;
  /// @brief Blocks until finished() (native hosts and tests only; never on a JS thread).
  bool wait_finished(std::int64_t timeout_ms);

  // --- outbox -----------------------------------------------------------------------
  /// @brief Takes everything pending for the binding.
  void drain_outbox(Outbox& out);
  /// @brief Called (outside the engine's lock, on whichever thread caused it) when the
  /// outbox goes from empty to non-empty. Bindings use it to schedule one drain. Calls are
  /// serialized, and once this returns the previous listener is not running and will not
  /// be called again, so clear it (nullptr) before destroying what it touches. The
  /// listener must only signal (wake a thread, post to a loop): it must not call back into
  /// the engine, which may be calling it.
  void set_outbox_listener(std::function<void()> listener);
  void set_event_mask(std::uint32_t mask);

  // --- observation ------------------------------------------------------------------
  std::optional<RequestInfo> request(RequestId id) const;
  QueryResult query(const RequestQuery& query) const;
  SystemMetrics metrics() const;
  std::vector<WorkerStatus> worker_status() const;
  BalanceReport balance_report(const std::string& bank) const;
  std::string prometheus_text() const;
  const Clock& clock() const noexcept { return *clock_; }

 private:
  struct Impl;
  /// Pays owed native wakes after a long run of submits (see defer_native_wakes).
  void after_submits(std::size_t count);
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace threadbank
