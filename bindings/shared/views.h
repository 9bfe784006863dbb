#pragma once
// The JS-facing shapes of the core's snapshots, as JSON, shared by the Node addon and the
// wasm module so both present the same names. The JS-facing spelling lives here and in the
// TS types only.

#include <array>
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
/// The wire: every run of numbers that crosses between the bindings and JS, as the names of
/// its fields in order. This table is the layout's one declaration: the bindings export it
/// at load (`wire`, see module_tables()), js/src/wire.ts spells the same names and reads
/// every field by name, and tests/js/wire.test.ts fails if the two disagree.
///
/// The outbox crosses as one list: a header of four counts, then each dispatch, abort,
/// settlement and event in turn (a Float64Array from the addon, a JSON array from wasm).
constexpr std::array<const char*, 4> OUTBOX_HEADER_NAMES = {"dispatches", "aborts", "settlements", "events"};
/// action: its index in the bank's manifest
constexpr std::array<const char*, 5> DISPATCH_NAMES = {"requestId", "attempt", "bank", "worker", "action"};
constexpr std::array<const char*, 5> ABORT_NAMES = {"requestId", "attempt", "bank", "worker", "timedOut"};
constexpr std::array<const char*, 2> SETTLED_NAMES = {"requestId", "code"};
constexpr std::array<const char*, 8> EVENT_NAMES = {"type", "atMs", "requestId", "bank", "worker", "attempt", "code", "state"};
/// completeBatch's numbers per result; `accepted` is written back by the binding.
constexpr std::array<const char*, 5> COMPLETE_NAMES = {"requestId", "attempt", "code", "runMs", "accepted"};
/// submitMany's numbers per submit (timeoutMs and retries below 0: the defaults).
constexpr std::array<const char*, 5> SUBMIT_NAMES = {"taskIndex", "priority", "timeoutMs", "retries", "payloadBytes"};

constexpr std::size_t OUTBOX_HEADER = OUTBOX_HEADER_NAMES.size();
constexpr std::size_t DISPATCH_FIELDS = DISPATCH_NAMES.size();
constexpr std::size_t DISPATCH_WORKER = 3;
constexpr std::size_t ABORT_FIELDS = ABORT_NAMES.size();
constexpr std::size_t SETTLED_FIELDS = SETTLED_NAMES.size();
constexpr std::size_t EVENT_FIELDS = EVENT_NAMES.size();

/// The tables a loaded module exports beside its engine: index -> name for the core's enums
/// (errorCodes, eventTypes, requestStatuses, workerStates, bankStatuses) and the wire.
nlohmann::json module_tables();

/// How many numbers write_outbox_numbers() writes for `box`.
std::size_t outbox_number_count(const Outbox& box);
/// Writes `box`'s numbers to `out` (outbox_number_count(box) of them).
void write_outbox_numbers(const Outbox& box, double* out);
/// Whether a settlement carries a value JS needs from the core (a native action's result;
/// script results stay in JS, the core holds null for them).
bool outbox_has_values(const Outbox& box);
/// Whether a settlement failed (and so carries a message).
bool outbox_has_messages(const Outbox& box);
/// The whole outbox for wasm: [numbers, values or null, messages or null], values and
/// messages one per settlement, null where there is none.
nlohmann::json outbox(const Outbox& box);

/// A handler's run time as a worker reported it (ms; negative or not finite: unknown) to
/// Outcome::run_ns.
std::int64_t run_ns_from_ms(double run_ms);

/// Numbers per result in completeBatch's `numbers` (COMPLETE_NAMES): how the handler ran
/// (run ms: -1 unknown), and `accepted`, which the binding writes back (1 when the core
/// took the result as the request's outcome, else 0).
constexpr std::size_t COMPLETE_NUMBERS = COMPLETE_NAMES.size();
constexpr std::size_t COMPLETE_ACCEPTED = 4;

/// @brief The results in `count` x COMPLETE_NUMBERS numbers (an unknown error code:
/// INTERNAL), without their messages, which travel as text beside the numbers. The numbers
/// came from a worker: an id or attempt that is not one the core could have assigned reads
/// as one that matches nothing (NO_REQUEST, attempt 0), never as a truncated other one.
std::vector<Completion> read_completions(const double* numbers, std::size_t count);

/// @brief A request id from JS: a whole number from 1 to 2^53, else NO_REQUEST.
RequestId request_id_from(double number);
/// @brief An attempt number from JS: a whole number from 1 to 255, else 0 (matches none).
std::uint8_t attempt_from(double number);

/// @brief The attempts in started()'s (requestId, attempt) pairs; `size` numbers.
std::vector<AttemptRef> read_attempt_pairs(const double* numbers, std::size_t size);

/// Numbers per submit in submitMany's `numbers` (SUBMIT_NAMES, js/src/submit-batch.ts).
constexpr std::size_t SUBMIT_NUMBERS = SUBMIT_NAMES.size();

/// @brief Fills `spec` from one submit's SUBMIT_NUMBERS numbers (timeoutMs and retries
/// below 0: the defaults).
void read_submit_numbers(const double* numbers, SubmitSpec& spec);

/// @brief `text` cut at each '\0' into exactly `count` segments (submitMany's joined
/// texts); throws Error(INVALID_ARGUMENT) naming `what` when the count differs.
std::vector<std::string_view> split_segments(std::string_view text, std::size_t count, const char* what);

/// @brief Runs bankCommand's `command` (pause, resume, drain) on `bank`; an unknown command
/// is INVALID_ARGUMENT (it must never fall through to an irreversible one).
void bank_command(Engine& engine, const std::string& bank, const std::string& command);

/// Engine and bank options from the TS layer's objects.
EngineConfig engine_config(const nlohmann::json& options);
/// A bank from { id, kind, workerCount, strategy, concurrency, prefetch, manifest | builtin };
/// built-in packs register their handlers into `handlers`.
BankConfig bank_config(const nlohmann::json& options, HandlerRegistry& handlers);

}  // namespace threadbank::views
