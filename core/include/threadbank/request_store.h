#pragma once
/// @file request_store.h
/// @brief Every request's record from submission until it falls out of the bounded
/// history of finished requests, and the queries over them.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "threadbank/request.h"

namespace threadbank {

/// @brief Maps repeating strings (task ids, client ids) to small ids. Id 0 is "".
class Interner {
 public:
  Interner() { names_.emplace_back(); }
  std::uint32_t intern(const std::string& name);
  /// @brief The id of `name` if it was interned, else nullopt (nothing is added).
  std::optional<std::uint32_t> find(const std::string& name) const;
  const std::string& name(std::uint32_t id) const { return names_.at(id); }
  std::size_t size() const noexcept { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

enum class SortKey : std::uint8_t { SUBMITTED_AT = 0, PRIORITY, FINISHED_AT, DURATION, ID };
bool sort_key_from_name(const std::string& name, SortKey* out) noexcept;  ///< "submittedAt", ...

/// @brief A filter over requests; empty fields match everything.
struct RequestQuery {
  std::vector<RequestStatus> statuses;
  std::optional<int> min_priority, max_priority;
  std::optional<std::int64_t> from_ns, to_ns;  ///< submission time range, inclusive
  std::optional<std::string> client, task, bank;
  std::size_t offset = 0;
  std::size_t limit = 100;
  SortKey sort_by = SortKey::SUBMITTED_AT;
  bool descending = false;
};

struct QueryResult {
  std::size_t total = 0;  ///< matches before pagination
  std::vector<RequestInfo> items;
};

/// @brief A stored request: its record plus the data that only some requests carry.
struct StoredRequest {
  RequestRecord record;
  std::shared_ptr<const nlohmann::json> params;  ///< native actions only
  /// Failed, cancelled or timed out requests only; a pointer keeps queued requests small.
  std::unique_ptr<std::string> error_message;

  const std::string& message() const {
    static const std::string NONE;
    return error_message ? *error_message : NONE;
  }
  void set_message(std::string text) {
    if (text.empty()) error_message.reset();
    else error_message = std::make_unique<std::string>(std::move(text));
  }
};

/// @brief Not thread-safe; the engine guards it.
class RequestStore {
 public:
  explicit RequestStore(std::size_t history_limit) : history_limit_(history_limit) {}

  StoredRequest& insert(RequestId id);
  StoredRequest* find(RequestId id);
  const StoredRequest* find(RequestId id) const;
  /// A record taken out of the store, still allocated: whoever holds it decides where it
  /// is freed.
  using Evicted = std::unordered_map<RequestId, StoredRequest>::node_type;

  /// @brief Records that `id` reached a final state; evicts the oldest finished requests
  /// beyond the history limit and returns the last one evicted (empty when none), so the
  /// engine can have it freed on the thread that allocated it (Outbox::evicted).
  Evicted finished(RequestId id);

  std::size_t size() const noexcept { return requests_.size(); }
  /// @brief The requests not yet final, in no particular order (a walk over the store).
  std::vector<RequestId> live_ids() const;
  std::size_t history_size() const noexcept { return history_.size(); }
  std::size_t history_limit() const noexcept { return history_limit_; }

  /// @brief Resolves names for a record: `bank_name(index)` gives a bank's id.
  using BankNamer = std::function<const std::string&(std::uint32_t)>;
  RequestInfo info(const StoredRequest& stored, const Interner& tasks, const Interner& clients,
                   const BankNamer& bank_name) const;
  QueryResult query(const RequestQuery& query, const Interner& tasks, const Interner& clients,
                    const BankNamer& bank_name) const;

 private:
  std::unordered_map<RequestId, StoredRequest> requests_;
  std::deque<RequestId> history_;  // finished, oldest first
  std::size_t history_limit_;
};

}  // namespace threadbank
