#pragma once
/// @file error.h
/// @brief The one set of error codes shared by every platform threadbank runs on.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace threadbank {

/// @brief Stable error codes. The JS layer exposes the names (`E_*`) as `error.code`;
/// the numeric values never cross a boundary, only the names do.
enum class ErrorCode : std::uint8_t {
  OK = 0,
  UNKNOWN_TASK,        ///< no registered bank can run the task
  UNKNOWN_BANK,        ///< a bank id that was never registered
  UNKNOWN_REQUEST,     ///< a request id the store does not hold (never issued, or evicted)
  DUPLICATE_BANK,      ///< a bank id registered twice
  INVALID_PARAMS,      ///< params do not match the action's declared parameters
  INVALID_MANIFEST,    ///< a manifest that fails validation
  INVALID_ARGUMENT,    ///< an option out of range (priority, timeout, worker count, ...)
  QUEUE_FULL,          ///< the bounded queue is at its limit
  TIMEOUT,             ///< an attempt ran past its timeout
  CANCELLED,           ///< cancelled by the caller
  WORKER_CRASHED,      ///< the worker running the request died
  SHUTTING_DOWN,       ///< the manager is shutting down or has shut down
  HANDLER,             ///< the handler threw or rejected
  PAYLOAD_TOO_LARGE,   ///< params over the configured size limit
  INTERNAL,            ///< a broken invariant inside threadbank (a bug: please report it)
};

/// @brief Number of codes, for tables indexed by code.
inline constexpr int ERROR_CODE_COUNT = static_cast<int>(ErrorCode::INTERNAL) + 1;

/// @brief The stable name of a code, e.g. "E_QUEUE_FULL" ("OK" for ErrorCode::OK).
const char* error_code_name(ErrorCode code) noexcept;

/// @brief Parses a name produced by error_code_name; returns false when unknown.
bool error_code_from_name(const std::string& name, ErrorCode* out) noexcept;

/// @brief The exception every core entry point throws for bad input or state.
/// Bindings catch it and turn it into a JS Error with `.code`.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace threadbank
