#pragma once
/// @file native_pool.h
/// @brief A bank's native workers: one std::thread each, with its own small queue, so the
/// balancer's choice of worker is honoured. Implements Executor.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "threadbank/executor.h"
#include "threadbank/handlers.h"

namespace threadbank {

class NativePool final : public Executor {
 public:
  /// @brief Where attempts end: called on the worker thread, never under a pool lock.
  using CompletionSink = std::function<void(const Dispatch&, Outcome&&)>;
  /// @brief Called on the worker thread just before a handler starts.
  using StartSink = std::function<void(const Dispatch&)>;

  /// @param handlers one per manifest action, by action index (Dispatch::action_index),
  ///        resolved once at bank registration
  /// @param threaded false for hosts without threads: no thread is started and queued jobs
  ///        run when the host calls run_pending() (see Engine::run_native)
  NativePool(int worker_count, std::vector<std::shared_ptr<const NativeHandler>> handlers,
             StartSink on_start, CompletionSink on_complete, bool threaded = true);
  ~NativePool() override;  ///< joins the threads (running handlers are asked to stop)

  void execute(Dispatch dispatch) override { (void)enqueue(std::move(dispatch), true); }
  /// @brief Queues an attempt on its worker. With `wake` false a sleeping worker is left
  /// asleep until wake_owed(); a running one still takes the job when it finishes its own.
  /// Returns whether a wake is now owed (never for unthreaded pools).
  bool enqueue(Dispatch dispatch, bool wake);
  /// @brief Wakes every worker left asleep by enqueue(..., false).
  void wake_owed();
  void abort(RequestId request, std::uint8_t attempt, std::int32_t worker) override;

  /// @brief Stops accepting work and joins every thread; queued attempts are reported
  /// as E_SHUTTING_DOWN. Idempotent.
  void stop();
  /// @brief Unthreaded pools only: runs up to `max_jobs` queued jobs on the calling thread,
  /// one worker's queue after another. Returns how many ran.
  std::size_t run_pending(std::size_t max_jobs);
  int worker_count() const noexcept { return static_cast<int>(workers_.size()); }

 private:
  struct Job {
    Dispatch dispatch;
    bool cancelled = false;  // aborted while queued (under the worker's mutex)
  };
  struct Worker {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> jobs;
    // The attempt this worker runs, as (request << 8 | attempt), while `running`. Its cancel
    // flag is the one a handler polls through TaskContext; queued jobs carry their own bool.
    // One flag per worker instead of one allocated per job: a worker runs one job at a time.
    bool running = false;
    std::uint64_t running_key = 0;
    std::atomic<bool> running_cancelled{false};
    bool stopping = false;
    bool wake_owed = false;  // a job was queued without waking this worker
    std::thread thread;
  };

  void run(Worker& worker);
  /// Marks `job` as the worker's running one (the caller holds the worker's mutex).
  static void begin_locked(Worker& worker, const Job& job);
  /// Runs one job taken from a worker's queue and reports it.
  void run_job(Worker& worker, Job job, bool shutting_down);
  Outcome invoke(Worker& worker, const Job& job);

  std::vector<std::shared_ptr<const NativeHandler>> handlers_;
  StartSink on_start_;
  CompletionSink on_complete_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> any_wake_owed_{false};
  bool threaded_;
  std::size_t next_worker_ = 0;  // unthreaded: where run_pending() resumes
};

}  // namespace threadbank
