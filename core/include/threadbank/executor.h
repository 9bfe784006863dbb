#pragma once
/// @file executor.h
/// @brief The one interface through which the core runs work: "run this request on this
/// worker". The native pool implements it with threads; bindings implement script
/// workers by draining Dispatch records from the engine's outbox.

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "threadbank/request.h"

namespace threadbank {

/// @brief An assignment of one attempt of a request to one worker.
struct Dispatch {
  RequestId request = NO_REQUEST;
  std::uint8_t attempt = 0;  ///< 1-based; completions must echo it back
  std::uint32_t bank = 0;
  std::int32_t worker = 0;
  const std::string* action = nullptr;  ///< the action id; owned by the bank's manifest
  std::uint16_t action_index = 0;       ///< the action's index in the bank's manifest
  /// Params for native actions (shared so a retry needs no copy); null for script actions,
  /// whose payload never leaves JavaScript.
  std::shared_ptr<const nlohmann::json> params;
  /// The engine already counts it as processing (it went to an idle worker): whoever runs
  /// it need not report the start.
  bool started = false;
};

/// @brief How an attempt ended, as reported by whoever ran it.
struct Outcome {
  ErrorCode error = ErrorCode::OK;  ///< OK, HANDLER, WORKER_CRASHED, TIMEOUT, ...
  nlohmann::json result;            ///< for OK on native actions
  std::string message;              ///< for errors
  /// How long the handler ran, as whoever ran it timed it; -1 when not known. Script
  /// workers report it: the host sees only when results arrive, which for a worker that
  /// waited for its next message includes the message round trip.
  std::int64_t run_ns = -1;

  static Outcome ok(nlohmann::json result) { return Outcome{ErrorCode::OK, std::move(result), {}, -1}; }
  static Outcome fail(ErrorCode code, std::string message) {
    return Outcome{code, nullptr, std::move(message), -1};
  }
};

/// @brief One attempt's end, for Engine::complete_many.
struct Completion {
  RequestId request = NO_REQUEST;
  std::uint8_t attempt = 0;  ///< 0 never matches an attempt (attempts count from 1)
  Outcome outcome;
  /// Set by Engine::complete_many: the worker held this attempt and it was the request's
  /// current one, so its outcome (and a script result's value) is the request's.
  bool accepted = false;
};

/// @brief Runs dispatched attempts. Called outside the engine's lock; must not block.
class Executor {
 public:
  virtual ~Executor() = default;
  /// @brief Starts (or queues on the named worker) one attempt.
  virtual void execute(Dispatch dispatch) = 0;
  /// @brief The attempt is no longer wanted (cancelled or timed out): stop it if possible.
  /// The executor still reports the worker free through Engine::complete when it ends.
  virtual void abort(RequestId request, std::uint8_t attempt, std::int32_t worker) = 0;
};

}  // namespace threadbank
