// String names of the core's enums: the spellings the JS layer and Prometheus use.
#include <array>
#include <cstring>
#include <string>

#include "threadbank/balancer.h"
#include "threadbank/events.h"
#include "threadbank/metrics.h"
#include "threadbank/request.h"
#include "threadbank/request_store.h"

namespace threadbank {
namespace {

template <typename Enum, std::size_t N>
bool lookup(const std::array<const char*, N>& names, const char* name, Enum* out) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (std::strcmp(names[i], name) == 0) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

template <std::size_t N>
const char* name_of(const std::array<const char*, N>& names, std::size_t index) noexcept {
  return index < N ? names[index] : "unknown";
}

constexpr std::array<const char*, REQUEST_STATUS_COUNT> STATUS_NAMES = {
    "pending", "assigned", "processing", "completed", "failed", "cancelled", "timed-out"};

constexpr std::array<const char*, EVENT_TYPE_COUNT> EVENT_NAMES = {
    "request-submitted", "request-assigned",  "request-started",   "request-completed",
    "request-failed",    "request-retried",   "request-cancelled", "request-timed-out",
    "worker-status",     "bank-status",       "queue-drain"};

constexpr std::array<const char*, WORKER_STATE_COUNT> WORKER_STATE_NAMES = {"idle", "busy", "lost", "replaced"};
constexpr std::array<const char*, 3> STRATEGY_NAMES = {"least-loaded", "round-robin",
                                                       "fastest-expected"};
constexpr std::array<const char*, 2> KIND_NAMES = {"native", "script"};
constexpr std::array<const char*, BANK_STATUS_COUNT> BANK_STATUS_NAMES = {
    "active", "paused", "draining", "stopped", "failing"};
constexpr std::array<const char*, 5> SORT_KEY_NAMES = {"submittedAt", "priority", "finishedAt",
                                                       "duration", "id"};

}  // namespace

const char* request_status_name(RequestStatus s) noexcept {
  return name_of(STATUS_NAMES, static_cast<std::size_t>(s));
}
bool request_status_from_name(const std::string& name, RequestStatus* out) noexcept {
  return lookup(STATUS_NAMES, name.c_str(), out);
}
const char* event_type_name(EventType type) noexcept {
  return name_of(EVENT_NAMES, static_cast<std::size_t>(type));
}
bool event_type_from_name(const char* name, EventType* out) noexcept {
  return lookup(EVENT_NAMES, name, out);
}
const char* worker_state_name(WorkerState state) noexcept {
  return name_of(WORKER_STATE_NAMES, static_cast<std::size_t>(state));
}
const char* balance_strategy_name(BalanceStrategy s) noexcept {
  return name_of(STRATEGY_NAMES, static_cast<std::size_t>(s));
}
bool balance_strategy_from_name(const std::string& name, BalanceStrategy* out) noexcept {
  return lookup(STRATEGY_NAMES, name.c_str(), out);
}
const char* bank_kind_name(BankKind kind) noexcept {
  return name_of(KIND_NAMES, static_cast<std::size_t>(kind));
}
const char* bank_status_name(BankStatus status) noexcept {
  return name_of(BANK_STATUS_NAMES, static_cast<std::size_t>(status));
}
bool sort_key_from_name(const std::string& name, SortKey* out) noexcept {
  return lookup(SORT_KEY_NAMES, name.c_str(), out);
}

}  // namespace threadbank
