#include "views.h"

#include <algorithm>
#include <cmath>

#include "threadbank/builtin_pack.h"

namespace threadbank::views {
namespace {

using nlohmann::json;

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

json percentiles(const Percentiles& p) {
  return {{"meanMs", p.mean_ms}, {"p50Ms", p.p50_ms}, {"p95Ms", p.p95_ms},
          {"p99Ms", p.p99_ms},   {"maxMs", p.max_ms}, {"count", p.count}};
}

std::uint64_t finished(const SystemMetrics& m, RequestStatus s) {
  return m.finished[static_cast<std::size_t>(s)];
}

}  // namespace

json request_info(const RequestInfo& info) {
  json timestamps = json::object();
  for (int s = 0; s < REQUEST_STATUS_COUNT; ++s) {
    std::int64_t at = info.at_ns[static_cast<std::size_t>(s)];
    if (stamped(at)) timestamps[request_status_name(static_cast<RequestStatus>(s))] = ms(at);
  }
  json out = {{"requestId", info.id},
              {"taskId", info.task},
              {"bankId", info.bank},
              {"clientId", info.client},
              {"worker", info.worker},
              {"priority", info.priority},
              {"status", request_status_name(info.status)},
              {"attempts", info.attempts},
              {"maxAttempts", info.max_attempts},
              {"timestamps", std::move(timestamps)},
              {"submittedAt", ms(info.submitted_ns)}};
  if (info.error != ErrorCode::OK) {
    out["errorCode"] = error_code_name(info.error);
    out["errorMessage"] = info.error_message;
  }
  if (stamped(info.finished_ns)) out["finishedAt"] = ms(info.finished_ns);
  return out;
}

json metrics(const SystemMetrics& m) {
  return {{"totalRequests", m.total_requests},
          {"rejectedRequests", m.rejected},
          {"completedRequests", finished(m, RequestStatus::COMPLETED)},
          {"failedRequests", finished(m, RequestStatus::FAILED)},
          {"cancelledRequests", finished(m, RequestStatus::CANCELLED)},
          {"timedOutRequests", finished(m, RequestStatus::TIMED_OUT)},
          {"retries", m.retries},
          {"queueDepth", m.pending},
          {"waitingForRoom", m.waiting_for_room},
          {"inFlight", m.in_flight},
          {"successRate", m.success_rate},
          {"averageProcessingTimeMs", m.processing.mean_ms},
          {"processingTime", percentiles(m.processing)},
          {"queueWait", percentiles(m.queue_wait)},
          {"currentLoad", m.current_load},
          {"throughputPerSecond", m.throughput_per_s},
          {"uptimeMs", m.uptime_ms},
          {"workerCount", m.worker_count},
          {"busyWorkers", m.busy_workers},
          {"storedRequests", m.stored_requests}};
}

json worker_status(const std::vector<WorkerStatus>& workers) {
  json out = json::array();
  for (const auto& w : workers) {
    json entry = {{"workerId", w.worker_id},
                  {"bankId", w.bank},
                  {"index", w.index},
                  {"kind", bank_kind_name(w.kind)},
                  {"alive", w.alive},
                  {"busy", w.busy},
                  {"inFlight", w.inflight},
                  {"capacity", w.capacity},
                  {"tasksCompleted", w.tasks_completed},
                  {"tasksFailed", w.tasks_failed},
                  {"busyTimeMs", ms(w.busy_ns)},
                  {"idleTimeMs", ms(w.idle_ns)},
                  {"currentRequestId", nullptr},
                  {"currentTask", nullptr},
                  {"restarts", w.restarts}};
    if (w.current_request != NO_REQUEST) {
      entry["currentRequestId"] = w.current_request;
      entry["currentTask"] = w.current_task;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

json banks(const std::vector<BankInfo>& banks) {
  json out = json::array();
  for (const auto& b : banks) {
    out.push_back({{"bankId", b.id},
                   {"name", b.name},
                   {"kind", bank_kind_name(b.kind)},
                   {"status", bank_status_name(b.status)},
                   {"workerCount", b.worker_count},
                   {"concurrency", b.concurrency},
                   {"queueDepth", b.queue_depth},
                   {"inFlight", b.in_flight},
                   {"strategy", balance_strategy_name(b.strategy)},
                   {"actions", b.actions}});
  }
  return out;
}

json balance_report(const BalanceReport& report) {
  json busy = json::array();
  for (auto ns : report.busy_ns) busy.push_back(ms(ns));
  return {{"bankId", report.bank},
          {"strategy", balance_strategy_name(report.strategy)},
          {"assigned", report.assigned},
          {"busyTimeMs", std::move(busy)},
          {"imbalance", report.imbalance}};
}

json query_result(const QueryResult& result) {
  json items = json::array();
  for (const auto& info : result.items) items.push_back(request_info(info));
  return {{"total", result.total}, {"items", std::move(items)}};
}

RequestQuery query_from(const json& o) {
  RequestQuery q;
  if (auto it = o.find("statuses"); it != o.end()) {
    for (const auto& name : *it) {
      RequestStatus status;
      std::string text = name.is_string() ? name.get<std::string>() : name.dump();
      if (!request_status_from_name(text, &status)) {
        throw Error(ErrorCode::INVALID_ARGUMENT, "expected a request status but received \"" + text + "\"");
      }
      q.statuses.push_back(status);
    }
  }
  auto number = [&](const char* key) -> std::optional<double> {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (auto v = number("minPriority")) q.min_priority = static_cast<int>(*v);
  if (auto v = number("maxPriority")) q.max_priority = static_cast<int>(*v);
  if (auto v = number("fromMs")) q.from_ns = static_cast<std::int64_t>(*v * 1e6);
  if (auto v = number("toMs")) q.to_ns = static_cast<std::int64_t>(*v * 1e6);
  q.client = text("clientId");
  q.task = text("taskId");
  q.bank = text("bankId");
  if (auto v = number("offset")) q.offset = static_cast<std::size_t>(*v);
  if (auto v = number("limit")) q.limit = static_cast<std::size_t>(*v);
  if (auto v = text("sortBy"); v && !sort_key_from_name(*v, &q.sort_by)) {
    throw Error(ErrorCode::INVALID_ARGUMENT,
                "expected sortBy submittedAt, priority, finishedAt, duration or id but received \"" + *v + "\"");
  }
  if (auto v = text("sortOrder")) q.descending = *v == "desc";
  return q;
}

std::size_t outbox_number_count(const Outbox& box) {
  return OUTBOX_HEADER + box.dispatches.size() * DISPATCH_FIELDS + box.aborts.size() * ABORT_FIELDS +
         box.settlements.size() * SETTLED_FIELDS + box.events.size() * EVENT_FIELDS;
}

void write_outbox_numbers(const Outbox& box, double* out) {
  auto put = [&out](auto field) { *out++ = static_cast<double>(field); };
  put(box.dispatches.size()), put(box.aborts.size()), put(box.settlements.size()), put(box.events.size());
  for (const Dispatch& d : box.dispatches) {
    put(d.request), put(d.attempt), put(d.bank), put(d.worker), put(d.action_index);
  }
  for (const Abort& a : box.aborts) {
    put(a.request), put(a.attempt), put(a.bank), put(a.worker), put(a.timed_out ? 1 : 0);
  }
  for (const Settlement& s : box.settlements) put(s.request), put(static_cast<int>(s.error));
  for (const Event& e : box.events) {
    put(static_cast<int>(e.type)), put(static_cast<double>(e.at_ns) / 1e6), put(e.request), put(e.bank),
        put(e.worker), put(e.attempt), put(static_cast<int>(e.error)), put(e.state);
  }
}

bool outbox_has_values(const Outbox& box) {
  return std::any_of(box.settlements.begin(), box.settlements.end(),
                     [](const Settlement& s) { return s.error == ErrorCode::OK && !s.result.is_null(); });
}

bool outbox_has_messages(const Outbox& box) {
  return std::any_of(box.settlements.begin(), box.settlements.end(),
                     [](const Settlement& s) { return s.error != ErrorCode::OK; });
}

json outbox(const Outbox& box) {
  std::vector<double> numbers(outbox_number_count(box));
  write_outbox_numbers(box, numbers.data());
  json values, messages;
  if (outbox_has_values(box)) {
    values = json::array();
    for (const Settlement& s : box.settlements) values.push_back(s.error == ErrorCode::OK ? s.result : json());
  }
  if (outbox_has_messages(box)) {
    messages = json::array();
    for (const Settlement& s : box.settlements) messages.push_back(s.error == ErrorCode::OK ? json() : json(s.message));
  }
  return json::array({json(std::move(numbers)), std::move(values), std::move(messages)});
}

std::vector<Completion> read_completions(const double* numbers, std::size_t count) {
  std::vector<Completion> results(count);
  for (Completion& c : results) {
    c.request = request_id_from(numbers[0]);
    c.attempt = attempt_from(numbers[1]);
    const double code = numbers[2];
    c.outcome.error = code >= 0 && code < ERROR_CODE_COUNT ? static_cast<ErrorCode>(static_cast<int>(code)) : ErrorCode::INTERNAL;
    c.outcome.run_ns = run_ns_from_ms(numbers[3]);
    numbers += COMPLETE_NUMBERS;
  }
  return results;
}

std::vector<AttemptRef> read_attempt_pairs(const double* numbers, std::size_t size) {
  std::vector<AttemptRef> attempts;
  attempts.reserve(size / 2);
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    attempts.emplace_back(request_id_from(numbers[i]), attempt_from(numbers[i + 1]));
  }
  return attempts;
}

namespace {

template <typename NameOf>
json names(int count, NameOf name_of) {
  json out = json::array();
  for (int i = 0; i < count; ++i) out.push_back(name_of(i));
  return out;
}

template <std::size_t N>
json field_names(const std::array<const char*, N>& fields) {
  json out = json::array();
  for (const char* field : fields) out.push_back(field);
  return out;
}

}  // namespace

json module_tables() {
  static_assert(COMPLETE_NAMES[COMPLETE_ACCEPTED][0] == 'a', "COMPLETE_ACCEPTED names `accepted`");
  static_assert(DISPATCH_NAMES[DISPATCH_WORKER][0] == 'w', "DISPATCH_WORKER names `worker`");
  return {
      {"errorCodes", names(ERROR_CODE_COUNT, [](int i) { return error_code_name(static_cast<ErrorCode>(i)); })},
      {"eventTypes", names(EVENT_TYPE_COUNT, [](int i) { return event_type_name(static_cast<EventType>(i)); })},
      {"requestStatuses", names(REQUEST_STATUS_COUNT, [](int i) { return request_status_name(static_cast<RequestStatus>(i)); })},
      {"workerStates", names(WORKER_STATE_COUNT, [](int i) { return worker_state_name(static_cast<WorkerState>(i)); })},
      {"bankStatuses", names(BANK_STATUS_COUNT, [](int i) { return bank_status_name(static_cast<BankStatus>(i)); })},
      {"wire",
       {{"outboxHeader", field_names(OUTBOX_HEADER_NAMES)},
        {"dispatch", field_names(DISPATCH_NAMES)},
        {"abort", field_names(ABORT_NAMES)},
        {"settled", field_names(SETTLED_NAMES)},
        {"event", field_names(EVENT_NAMES)},
        {"complete", field_names(COMPLETE_NAMES)},
        {"submit", field_names(SUBMIT_NAMES)}}},
  };
}

void bank_command(Engine& engine, const std::string& bank, const std::string& command) {
  if (command == "pause") {
    engine.pause_bank(bank);
  } else if (command == "resume") {
    engine.resume_bank(bank);
  } else if (command == "drain") {
    engine.drain_bank(bank);
  } else {
    throw Error(ErrorCode::INVALID_ARGUMENT,
                "expected a bank command (pause, resume, drain) but received \"" + command + "\"");
  }
}

RequestId request_id_from(double number) {
  constexpr double MAX_SAFE = 9007199254740992.0;  // 2^53: every id below it is exact in a double
  if (!(number >= 1 && number <= MAX_SAFE) || std::floor(number) != number) return NO_REQUEST;
  return static_cast<RequestId>(number);
}

std::uint8_t attempt_from(double number) {
  if (!(number >= 1 && number <= 255) || std::floor(number) != number) return 0;
  return static_cast<std::uint8_t>(number);
}

std::int64_t run_ns_from_ms(double run_ms) {
  // A day bounds it so the conversion cannot overflow; the window only needs "long".
  constexpr double MAX_MS = 86'400'000;
  if (!std::isfinite(run_ms) || run_ms < 0) return -1;
  return static_cast<std::int64_t>(std::min(run_ms, MAX_MS) * 1e6);
}

void read_submit_numbers(const double* numbers, SubmitSpec& spec) {
  spec.task_index = static_cast<std::int32_t>(numbers[0]);
  spec.priority = static_cast<int>(numbers[1]);
  if (numbers[2] >= 0) spec.timeout_ms = static_cast<std::int64_t>(numbers[2]);
  if (numbers[3] >= 0) spec.retries = static_cast<int>(numbers[3]);
  spec.payload_bytes = static_cast<std::size_t>(numbers[4]);
}

std::vector<std::string_view> split_segments(std::string_view text, std::size_t count, const char* what) {
  std::vector<std::string_view> out;
  out.reserve(count);
  for (;;) {
    std::size_t cut = text.find('\0');
    out.push_back(text.substr(0, cut));
    if (cut == std::string_view::npos) break;
    text = text.substr(cut + 1);
  }
  if (out.size() != count) {
    throw Error(ErrorCode::INVALID_ARGUMENT, std::string("expected ") + std::to_string(count) + " segments of " + what +
                                                 " but received " + std::to_string(out.size()));
  }
  return out;
}

EngineConfig engine_config(const json& o) {
  EngineConfig config;
  config.name = o.value("name", std::string("threadbank"));
  config.max_queue = o.value("maxQueue", static_cast<std::size_t>(100'000));
  config.history_limit = o.value("historyLimit", static_cast<std::size_t>(10'000));
  config.default_retries = o.value("defaultRetries", 2);
  config.retry_base_ms = static_cast<std::int64_t>(o.value("retryBaseMs", 100.0));
  config.retry_max_ms = static_cast<std::int64_t>(o.value("retryMaxMs", 10'000.0));
  config.aging_step_ms = static_cast<std::int64_t>(o.value("agingStepMs", 1'000.0));
  config.max_payload_bytes = o.value("maxPayloadBytes", static_cast<std::size_t>(0));
  // The JS manager (js/src/manager.ts) calls wakeNative() from the flush it schedules after
  // every accepted submit, on both bindings.
  config.defer_native_wakes = true;
  return config;
}

BankConfig bank_config(const json& o, HandlerRegistry& handlers) {
  BankConfig bank;
  bank.id = o.value("id", std::string());
  bank.kind = o.value("kind", std::string()) == "native" ? BankKind::NATIVE : BankKind::SCRIPT;
  bank.worker_count = o.value("workerCount", 1);
  bank.concurrency = o.value("concurrency", 0);
  const auto prefetch = o.find("prefetch");
  if (prefetch == o.end() || prefetch->is_null()) {
    bank.prefetch = 0;
  } else if (prefetch->is_string() && prefetch->get_ref<const std::string&>() == "auto") {
    bank.prefetch = AUTO_PREFETCH;
  } else if (prefetch->is_number_integer()) {
    bank.prefetch = prefetch->get<int>();
  } else {
    throw Error(ErrorCode::INVALID_ARGUMENT, "expected a prefetch from 0 to " + std::to_string(MAX_PREFETCH) +
                                                 " or \"auto\" but received " + prefetch->dump());
  }
  const auto starting = o.find("starting");
  if (starting != o.end() && !starting->is_null()) {
    if (!starting->is_array()) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "expected starting as an array of worker indexes but received " + starting->dump());
    }
    for (const auto& worker : *starting) {
      if (!worker.is_number_integer()) {
        throw Error(ErrorCode::INVALID_ARGUMENT, "expected a worker index in starting but received " + worker.dump());
      }
      bank.starting.push_back(worker.get<std::int32_t>());
    }
  }
  std::string strategy = o.value("strategy", std::string("least-loaded"));
  if (!balance_strategy_from_name(strategy, &bank.strategy)) {
    throw Error(ErrorCode::INVALID_ARGUMENT,
                "expected strategy least-loaded, round-robin or fastest-expected but received \"" + strategy + "\"");
  }
  std::string builtin = o.value("builtin", std::string());
  if (!builtin.empty()) {
    if (!builtin_pack(builtin, handlers, &bank.manifest)) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "expected a built-in pack name (basic) but received \"" + builtin + "\"");
    }
    bank.kind = BankKind::NATIVE;
  } else {
    auto manifest = o.find("manifest");
    bank.manifest = parse_manifest(manifest == o.end() ? json() : *manifest);
  }
  return bank;
}

}  // namespace threadbank::views
