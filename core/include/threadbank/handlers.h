#pragma once
/// @file handlers.h
/// @brief Native actions: C++ functions registered by name, run by the native pool.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace threadbank {

/// @brief What a running native handler can see of its request.
class TaskContext {
 public:
  explicit TaskContext(const std::atomic<bool>* cancelled) : cancelled_(cancelled) {}
  /// @brief True once the request was cancelled or timed out; long handlers should check
  /// it and return early (threads cannot be killed safely, so stopping is cooperative).
  bool cancelled() const noexcept { return cancelled_->load(std::memory_order_relaxed); }

 private:
  const std::atomic<bool>* cancelled_;
};

/// @brief A native action. Throwing any exception fails the attempt with E_HANDLER and the
/// exception's message; threadbank::Error keeps its own code.
using NativeHandler = std::function<nlohmann::json(const nlohmann::json& params, TaskContext& ctx)>;

/// @brief Name -> handler. Thread-safe; handlers are looked up once per bank registration.
class HandlerRegistry {
 public:
  void add(const std::string& name, NativeHandler handler);
  /// @brief The handler, or nullptr when none has that name.
  std::shared_ptr<const NativeHandler> find(const std::string& name) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const NativeHandler>> handlers_;
};

}  // namespace threadbank
