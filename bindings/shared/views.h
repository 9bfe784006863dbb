#pragma once
// The JS-facing shapes of the core's snapshots, as JSON, shared by the Node addon and the
// wasm module so both present the same names. The JS-facing spelling lives here and in the
// TS types only.

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "threadbank/engine.h"

namespace threadbank::views {

nlohmann::json request_info(const RequestInfo& info);
nlohmann::json metrics(const SystemMetrics& metrics);
nlohmann::json worker_status(const std::vector<WorkerStatus>& workers);
nlohmann::json banks(const std::vector<BankInfo>& banks);
nlohmann::json balance_report(const BalanceReport& report);
nlohmann::json query_result(const QueryResult& result);
/// The TS layer's query object (validated there) to a RequestQuery.
RequestQuery query_from(const nlohmann::json& query);
/// The outbox as flat arrays (see js/src/binding.ts, OutboxBatch).
nlohmann::json outbox(const Outbox& outbox);

/// The outbox's records as the flat lists of numbers js/src/binding.ts (OutboxBatch) reads,
/// one field at a time in its order: `put` writes a number wherever the binding keeps them
/// (JSON for wasm, a Float64Array for the addon), so the layout is spelled once.
constexpr std::size_t DISPATCH_FIELDS = 4;
constexpr std::size_t ABORT_FIELDS = 5;
constexpr std::size_t EVENT_FIELDS = 8;

template <typename Put>
void put_dispatch(const Dispatch& d, Put&& put) {
  put(d.request), put(d.attempt), put(d.bank), put(d.worker);
}
template <typename Put>
void put_abort(const Abort& a, Put&& put) {
  put(a.request), put(a.attempt), put(a.bank), put(a.worker), put(a.timed_out ? 1 : 0);
}
template <typename Put>
void put_event(const Event& e, Put&& put) {
  put(static_cast<int>(e.type)), put(static_cast<double>(e.at_ns) / 1e6), put(e.request), put(e.bank),
      put(e.worker), put(e.attempt), put(static_cast<int>(e.error)), put(e.state);
}

/// A handler's run time as a worker reported it (ms; negative or not finite: unknown) to
/// Outcome::run_ns.
std::int64_t run_ns_from_ms(double run_ms);

/// Numbers per submit in submitMany's `numbers` (js/src/submit-batch.ts): taskIndex,
/// priority, timeoutMs, retries, payloadBytes.
constexpr std::size_t SUBMIT_NUMBERS = 5;

/// @brief Fills `spec` from one submit's SUBMIT_NUMBERS numbers (timeoutMs and retries
/// below 0: the defaults).
void read_submit_numbers(const double* numbers, SubmitSpec& spec);

/// @brief `text` cut at each '\0' into exactly `count` segments (submitMany's joined
/// texts); throws Error(INVALID_ARGUMENT) naming `what` when the count differs.
std::vector<std::string_view> split_segments(std::string_view text, std::size_t count, const char* what);

/// Engine and bank options from the TS layer's objects.
EngineConfig engine_config(const nlohmann::json& options);
/// A bank from { id, kind, workerCount, strategy, concurrency, prefetch, manifest | builtin };
/// built-in packs register their handlers into `handlers`.
BankConfig bank_config(const nlohmann::json& options, HandlerRegistry& handlers);

}  // namespace threadbank::views
