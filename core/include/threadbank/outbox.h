#pragma once
/// @file outbox.h
/// @brief What the engine hands its binding (Outbox), and the channel it goes through
/// (OutboxChannel): appended to from any thread, taken by the binding's thread in one go,
/// with one "became non-empty" signal per take.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "threadbank/error.h"
#include "threadbank/events.h"
#include "threadbank/executor.h"
#include "threadbank/request.h"
#include "threadbank/request_store.h"

namespace threadbank {

/// @brief A request that reached a final state, for the binding to settle its promise.
struct Settlement {
  RequestId request = NO_REQUEST;
  RequestStatus status = RequestStatus::COMPLETED;
  ErrorCode error = ErrorCode::OK;
  nlohmann::json result;  ///< native actions' results
  std::string message;
  /// The request's params, released with the settlement: they were allocated on the
  /// binding's thread, and freeing them on the native thread that finished the request made
  /// it take malloc's arena lock against the event loop's own allocations.
  std::shared_ptr<const nlohmann::json> params;
};

/// @brief A script attempt that is no longer wanted. `timed_out` asks the binding to
/// terminate and replace the worker (a handler past its timeout may never return).
struct Abort {
  RequestId request = NO_REQUEST;
  std::uint8_t attempt = 0;
  std::uint32_t bank = 0;
  std::int32_t worker = 0;
  bool timed_out = false;
};

/// @brief Everything a binding must act on, drained in one crossing.
struct Outbox {
  std::vector<Dispatch> dispatches;  ///< attempts for script workers to run
  std::vector<Abort> aborts;         ///< script attempts no longer wanted (cancel/timeout)
  std::vector<Settlement> settlements;
  std::vector<Event> events;
  /// Records evicted from the request history, freed where the binding drains them: the
  /// binding's thread allocated them, and a native thread freeing them took malloc's arena
  /// lock against the event loop's own allocations. Nothing to act on (empty() ignores them).
  std::vector<RequestStore::Evicted> evicted;
  bool empty() const noexcept {
    return dispatches.empty() && aborts.empty() && settlements.empty() && events.empty();
  }
};

/// @brief The outbox and its lock rules, in one place.
///
/// The engine appends while it holds its own lock (so items are in the order things
/// happened); the binding takes everything without that lock, so taking results never
/// waits for a native worker completing an attempt. The listener is told when the outbox
/// goes from empty to non-empty, at most once per take, and never under the engine's lock
/// or the outbox's own (it runs under a lock of its own, which set_listener() takes too).
/// Lock order: engine lock, then outbox lock; the listener lock is never held with either.
class OutboxChannel {
 public:
  void push(Dispatch dispatch);
  void push(const Abort& abort);
  void push(Settlement settlement);
  void push(const Event& event);
  /// Records the history let go, freed where the binding takes them (see Outbox::evicted).
  void push(RequestStore::Evicted evicted);

  /// Calls the listener if the outbox holds something and no signal is outstanding. Call
  /// after releasing the engine's lock. Cheap (one atomic load) while a signal is out.
  void signal();
  /// Takes everything (the caller's vectors are cleared and swapped in, keeping capacity);
  /// the next push signals again.
  void take(Outbox& out);
  void set_listener(std::function<void()> listener);

 private:
  std::mutex mutex_;
  Outbox box_;
  // Set under mutex_ when the listener is told, reset by take(). Atomic so signal() can
  // skip both locks while a signal is outstanding: reading true means the take that resets
  // it comes after our push, and takes our item.
  std::atomic<bool> signaled_{false};
  std::mutex listener_mutex_;  // guards listener_ and serializes its calls
  std::function<void()> listener_;
};

}  // namespace threadbank
