#include "threadbank/native_pool.h"

#include <exception>

#include "threadbank/error.h"

namespace threadbank {
namespace {

// Flags are per attempt: a retry may land on the worker still running the abandoned one.
std::uint64_t flag_key(RequestId request, std::uint8_t attempt) { return request << 8 | attempt; }

}  // namespace

NativePool::NativePool(int worker_count, std::vector<std::shared_ptr<const NativeHandler>> handlers,
                       StartSink on_start, CompletionSink on_complete, bool threaded)
    : handlers_(std::move(handlers)),
      on_start_(std::move(on_start)),
      on_complete_(std::move(on_complete)),
      threaded_(threaded) {
  workers_.reserve(static_cast<std::size_t>(worker_count));
  for (int i = 0; i < worker_count; ++i) workers_.push_back(std::make_unique<Worker>());
  if (!threaded_) return;
  // Threads start after every Worker exists, so none can observe a half-built pool.
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->thread = std::thread([this, w] { run(*w); });
  }
}

NativePool::~NativePool() { stop(); }

bool NativePool::enqueue(Dispatch dispatch, bool wake) {
  auto index = static_cast<std::size_t>(dispatch.worker);
  if (index >= workers_.size()) {
    on_complete_(dispatch, Outcome::fail(ErrorCode::INTERNAL, "dispatch to a worker the pool does not have"));
    return false;
  }
  Worker& worker = *workers_[index];
  {
    std::lock_guard<std::mutex> lock(worker.mutex);
    if (worker.stopping) {
      // Fall through to report outside the lock.
    } else {
      worker.jobs.push_back(Job{std::move(dispatch), false});
      if (!threaded_) return false;
      if (wake) {
        worker.wake.notify_one();
        return false;
      }
      worker.wake_owed = true;
      any_wake_owed_.store(true, std::memory_order_release);
      return true;
    }
  }
  on_complete_(dispatch, Outcome::fail(ErrorCode::SHUTTING_DOWN, "the native pool is stopping"));
  return false;
}

void NativePool::wake_owed() {
  if (!any_wake_owed_.exchange(false, std::memory_order_acq_rel)) return;
  for (auto& worker : workers_) {
    std::lock_guard<std::mutex> lock(worker->mutex);
    if (!worker->wake_owed) continue;
    worker->wake_owed = false;
    worker->wake.notify_one();
  }
}

void NativePool::abort(RequestId request, std::uint8_t attempt, std::int32_t worker) {
  auto index = static_cast<std::size_t>(worker);
  if (index >= workers_.size()) return;
  Worker& w = *workers_[index];
  std::uint64_t key = flag_key(request, attempt);
  std::lock_guard<std::mutex> lock(w.mutex);
  if (w.running && w.running_key == key) {
    w.running_cancelled.store(true, std::memory_order_relaxed);
    return;
  }
  // Queued jobs are few (a worker holds its running job and a small prefetch window).
  for (Job& job : w.jobs) {
    if (flag_key(job.dispatch.request, job.dispatch.attempt) == key) job.cancelled = true;
  }
}

void NativePool::stop() {
  if (stopped_.exchange(true)) return;
  for (auto& worker : workers_) {
    std::lock_guard<std::mutex> lock(worker->mutex);
    worker->stopping = true;
    // Ask the running handler to stop early; queued jobs are reported by the thread itself.
    worker->running_cancelled.store(true, std::memory_order_relaxed);
    worker->wake.notify_one();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  if (!threaded_) {
    // No thread will drain the queues: report what is left here.
    for (auto& worker : workers_) {
      for (;;) {
        Job job;
        {
          std::lock_guard<std::mutex> lock(worker->mutex);
          if (worker->jobs.empty()) break;
          job = std::move(worker->jobs.front());
          worker->jobs.pop_front();
          begin_locked(*worker, job);
        }
        run_job(*worker, std::move(job), true);
      }
    }
  }
}

std::size_t NativePool::run_pending(std::size_t max_jobs) {
  std::size_t ran = 0;
  std::size_t idle_workers = 0;
  while (ran < max_jobs && idle_workers < workers_.size()) {
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    Job job;
    {
      std::lock_guard<std::mutex> lock(worker.mutex);
      if (worker.jobs.empty()) {
        ++idle_workers;
        continue;
      }
      idle_workers = 0;
      job = std::move(worker.jobs.front());
      worker.jobs.pop_front();
      begin_locked(worker, job);
    }
    run_job(worker, std::move(job), false);
    {
      std::lock_guard<std::mutex> lock(worker.mutex);
      worker.running = false;
    }
    ++ran;
  }
  return ran;
}

Outcome NativePool::invoke(Worker& worker, const Job& job) {
  if (job.dispatch.action_index >= handlers_.size()) {
    return Outcome::fail(ErrorCode::INTERNAL, "no native handler for " + *job.dispatch.action);
  }
  const NativeHandler& handler = *handlers_[job.dispatch.action_index];
  static const nlohmann::json EMPTY = nlohmann::json::object();
  const nlohmann::json& params = job.dispatch.params ? *job.dispatch.params : EMPTY;
  TaskContext ctx(&worker.running_cancelled);
  // Threads capture exceptions; they never escape (an escaping one would terminate).
  try {
    return Outcome::ok(handler(params, ctx));
  } catch (const Error& error) {
    return Outcome::fail(error.code(), error.what());
  } catch (const std::exception& error) {
    return Outcome::fail(ErrorCode::HANDLER, error.what());
  } catch (...) {
    return Outcome::fail(ErrorCode::HANDLER, "native handler threw a non-standard exception");
  }
}

void NativePool::begin_locked(Worker& worker, const Job& job) {
  worker.running = true;
  worker.running_key = flag_key(job.dispatch.request, job.dispatch.attempt);
  worker.running_cancelled.store(job.cancelled, std::memory_order_relaxed);
}

void NativePool::run(Worker& worker) {
  for (;;) {
    Job job;
    bool shutting_down = false;
    {
      // One lock per job: the previous job ends (no longer abortable) where the next begins.
      std::unique_lock<std::mutex> lock(worker.mutex);
      worker.running = false;
      worker.wake.wait(lock, [&] { return worker.stopping || !worker.jobs.empty(); });
      if (worker.jobs.empty()) return;  // stopping and nothing left to report
      job = std::move(worker.jobs.front());
      worker.jobs.pop_front();
      shutting_down = worker.stopping;
      begin_locked(worker, job);
    }
    run_job(worker, std::move(job), shutting_down);
  }
}

void NativePool::run_job(Worker& worker, Job job, bool shutting_down) {
  Outcome outcome;
  if (shutting_down) {
    outcome = Outcome::fail(ErrorCode::SHUTTING_DOWN, "the native pool stopped before this ran");
  } else if (worker.running_cancelled.load(std::memory_order_relaxed)) {
    // Aborted while queued on this worker: skip the handler, just free the slot.
    outcome = Outcome::fail(ErrorCode::CANCELLED, "aborted before it started");
  } else {
    if (!job.dispatch.started) on_start_(job.dispatch);
    outcome = invoke(worker, job);
  }
  // The settlement carries the params back to the thread that allocated them (Settlement).
  job.dispatch.params.reset();
  on_complete_(job.dispatch, std::move(outcome));
}

}  // namespace threadbank
