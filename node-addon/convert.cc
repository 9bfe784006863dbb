#include "convert.h"

#include <cmath>

namespace threadbank::node {
namespace {

using nlohmann::json;

constexpr int MAX_DEPTH = 64;

[[noreturn]] void cannot_cross(const char* what, const std::string& path, const char* received) {
  throw Error(ErrorCode::INVALID_PARAMS, std::string("expected JSON-compatible data for ") + what +
                                             " but " + path + " is " + received);
}

// Cycles are caught by the depth limit: napi_value handles for one object differ from
// one Get() to the next, so identity checks on handles would miss them.
json convert(const Napi::Value& value, const char* what, const std::string& path, int depth) {
  if (depth > MAX_DEPTH) cannot_cross(what, path, "nested deeper than 64 levels (or circular)");
  switch (value.Type()) {
    case napi_undefined:
    case napi_null: return nullptr;
    case napi_boolean: return value.As<Napi::Boolean>().Value();
    case napi_number: {
      double number = value.As<Napi::Number>().DoubleValue();
      // Whole numbers stay integers so integer-typed parameters validate and print as such.
      if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9.007199254740992e15) {
        return static_cast<std::int64_t>(number);
      }
      if (!std::isfinite(number)) return nullptr;  // as JSON.stringify does
      return number;
    }
    case napi_string: return value.As<Napi::String>().Utf8Value();
    case napi_function: cannot_cross(what, path, "a function");
    case napi_symbol: cannot_cross(what, path, "a symbol");
    case napi_bigint: cannot_cross(what, path, "a BigInt");
    case napi_external: cannot_cross(what, path, "an external value");
    case napi_object: break;
  }
  if (value.IsTypedArray() || value.IsArrayBuffer() || value.IsDataView()) {
    const std::uint8_t* data = nullptr;
    std::size_t length = 0;
    if (value.IsArrayBuffer()) {
      auto buffer = value.As<Napi::ArrayBuffer>();
      data = static_cast<const std::uint8_t*>(buffer.Data());
      length = buffer.ByteLength();
    } else if (value.IsTypedArray()) {
      auto array = value.As<Napi::TypedArray>();
      data = static_cast<const std::uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
      length = array.ByteLength();
    } else {
      auto view = value.As<Napi::DataView>();
      data = static_cast<const std::uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
      length = view.ByteLength();
    }
    return json::binary(std::vector<std::uint8_t>(data, data + length));
  }
  json out;
  if (value.IsArray()) {
    auto array = value.As<Napi::Array>();
    out = json::array();
    for (std::uint32_t i = 0; i < array.Length(); ++i) {
      out.push_back(convert(array.Get(i), what, path + "[" + std::to_string(i) + "]", depth + 1));
    }
  } else {
    auto object = value.As<Napi::Object>();
    out = json::object();
    auto keys = object.GetPropertyNames();
    for (std::uint32_t i = 0; i < keys.Length(); ++i) {
      Napi::Value key = keys.Get(i);
      std::string name = key.ToString().Utf8Value();
      Napi::Value field = object.Get(key);
      if (field.IsUndefined()) continue;  // as JSON.stringify and structured clone do
      out[name] = convert(field, what, path + "." + name, depth + 1);
    }
  }
  return out;
}

Napi::Number num(Napi::Env env, double value) { return Napi::Number::New(env, value); }
double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

Napi::Object percentiles_to_js(Napi::Env env, const Percentiles& p) {
  auto o = Napi::Object::New(env);
  o.Set("meanMs", p.mean_ms);
  o.Set("p50Ms", p.p50_ms);
  o.Set("p95Ms", p.p95_ms);
  o.Set("p99Ms", p.p99_ms);
  o.Set("maxMs", p.max_ms);
  o.Set("count", num(env, static_cast<double>(p.count)));
  return o;
}

}  // namespace

json to_json(const Napi::Value& value, const char* what) {
  return convert(value, what, "params", 0);
}

Napi::Value from_json(Napi::Env env, const json& value) {
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded: return env.Null();
    case json::value_t::boolean: return Napi::Boolean::New(env, value.get<bool>());
    case json::value_t::number_integer: return num(env, static_cast<double>(value.get<std::int64_t>()));
    case json::value_t::number_unsigned: return num(env, static_cast<double>(value.get<std::uint64_t>()));
    case json::value_t::number_float: return num(env, value.get<double>());
    case json::value_t::string: return Napi::String::New(env, value.get_ref<const std::string&>());
    case json::value_t::binary: {
      const auto& bytes = value.get_binary();
      return Napi::Buffer<std::uint8_t>::Copy(env, bytes.data(), bytes.size());
    }
    case json::value_t::array: {
      auto array = Napi::Array::New(env, value.size());
      for (std::size_t i = 0; i < value.size(); ++i) {
        array.Set(static_cast<std::uint32_t>(i), from_json(env, value[i]));
      }
      return array;
    }
    case json::value_t::object: {
      auto object = Napi::Object::New(env);
      for (auto it = value.begin(); it != value.end(); ++it) object.Set(it.key(), from_json(env, it.value()));
      return object;
    }
  }
  return env.Null();
}

Napi::Error to_js_error(Napi::Env env, const threadbank::Error& error) {
  auto js = Napi::Error::New(env, error.what());
  js.Set("code", Napi::String::New(env, error_code_name(error.code())));
  return js;
}

Napi::Object request_info_to_js(Napi::Env env, const RequestInfo& info) {
  auto o = Napi::Object::New(env);
  o.Set("requestId", num(env, static_cast<double>(info.id)));
  o.Set("taskId", info.task);
  o.Set("bankId", info.bank);
  o.Set("clientId", info.client);
  o.Set("worker", info.worker);
  o.Set("priority", info.priority);
  o.Set("status", request_status_name(info.status));
  if (info.error != ErrorCode::OK) {
    o.Set("errorCode", error_code_name(info.error));
    o.Set("errorMessage", info.error_message);
  }
  o.Set("attempts", info.attempts);
  o.Set("maxAttempts", info.max_attempts);
  auto timestamps = Napi::Object::New(env);
  for (int s = 0; s < REQUEST_STATUS_COUNT; ++s) {
    std::int64_t at = info.at_ns[static_cast<std::size_t>(s)];
    if (at != 0) timestamps.Set(request_status_name(static_cast<RequestStatus>(s)), ms(at));
  }
  o.Set("timestamps", timestamps);
  o.Set("submittedAt", ms(info.submitted_ns));
  if (info.finished_ns != 0) o.Set("finishedAt", ms(info.finished_ns));
  return o;
}

Napi::Object metrics_to_js(Napi::Env env, const SystemMetrics& m) {
  auto o = Napi::Object::New(env);
  auto count = [&](std::uint64_t n) { return num(env, static_cast<double>(n)); };
  auto fin = [&](RequestStatus s) { return count(m.finished[static_cast<std::size_t>(s)]); };
  o.Set("totalRequests", count(m.total_requests));
  o.Set("rejectedRequests", count(m.rejected));
  o.Set("completedRequests", fin(RequestStatus::COMPLETED));
  o.Set("failedRequests", fin(RequestStatus::FAILED));
  o.Set("cancelledRequests", fin(RequestStatus::CANCELLED));
  o.Set("timedOutRequests", fin(RequestStatus::TIMED_OUT));
  o.Set("retries", count(m.retries));
  o.Set("queueDepth", count(m.pending));
  o.Set("inFlight", count(m.in_flight));
  o.Set("successRate", m.success_rate);
  o.Set("averageProcessingTimeMs", m.processing.mean_ms);
  o.Set("processingTime", percentiles_to_js(env, m.processing));
  o.Set("queueWait", percentiles_to_js(env, m.queue_wait));
  o.Set("currentLoad", m.current_load);
  o.Set("throughputPerSecond", m.throughput_per_s);
  o.Set("uptimeMs", num(env, static_cast<double>(m.uptime_ms)));
  o.Set("workerCount", m.worker_count);
  o.Set("busyWorkers", m.busy_workers);
  o.Set("storedRequests", count(m.stored_requests));
  return o;
}

Napi::Array worker_status_to_js(Napi::Env env, const std::vector<WorkerStatus>& workers) {
  auto array = Napi::Array::New(env, workers.size());
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const WorkerStatus& w = workers[i];
    auto o = Napi::Object::New(env);
    o.Set("workerId", w.worker_id);
    o.Set("bankId", w.bank);
    o.Set("index", w.index);
    o.Set("kind", bank_kind_name(w.kind));
    o.Set("alive", w.alive);
    o.Set("busy", w.busy);
    o.Set("inFlight", w.inflight);
    o.Set("capacity", w.capacity);
    o.Set("tasksCompleted", num(env, static_cast<double>(w.tasks_completed)));
    o.Set("tasksFailed", num(env, static_cast<double>(w.tasks_failed)));
    o.Set("busyTimeMs", ms(w.busy_ns));
    o.Set("idleTimeMs", ms(w.idle_ns));
    if (w.current_request != NO_REQUEST) {
      o.Set("currentRequestId", num(env, static_cast<double>(w.current_request)));
      o.Set("currentTask", w.current_task);
    } else {
      o.Set("currentRequestId", env.Null());
      o.Set("currentTask", env.Null());
    }
    o.Set("restarts", w.restarts);
    array.Set(static_cast<std::uint32_t>(i), o);
  }
  return array;
}

Napi::Array banks_to_js(Napi::Env env, const std::vector<BankInfo>& banks) {
  auto array = Napi::Array::New(env, banks.size());
  for (std::size_t i = 0; i < banks.size(); ++i) {
    const BankInfo& b = banks[i];
    auto o = Napi::Object::New(env);
    o.Set("bankId", b.id);
    o.Set("name", b.name);
    o.Set("kind", bank_kind_name(b.kind));
    o.Set("status", bank_status_name(b.status));
    o.Set("workerCount", b.worker_count);
    o.Set("concurrency", b.concurrency);
    o.Set("queueDepth", num(env, static_cast<double>(b.queue_depth)));
    o.Set("inFlight", b.in_flight);
    o.Set("strategy", balance_strategy_name(b.strategy));
    auto actions = Napi::Array::New(env, b.actions.size());
    for (std::size_t a = 0; a < b.actions.size(); ++a) actions.Set(static_cast<std::uint32_t>(a), b.actions[a]);
    o.Set("actions", actions);
    array.Set(static_cast<std::uint32_t>(i), o);
  }
  return array;
}

Napi::Object balance_report_to_js(Napi::Env env, const BalanceReport& report) {
  auto o = Napi::Object::New(env);
  o.Set("bankId", report.bank);
  o.Set("strategy", balance_strategy_name(report.strategy));
  auto assigned = Napi::Array::New(env, report.assigned.size());
  auto busy = Napi::Array::New(env, report.busy_ns.size());
  for (std::size_t i = 0; i < report.assigned.size(); ++i) {
    assigned.Set(static_cast<std::uint32_t>(i), num(env, static_cast<double>(report.assigned[i])));
    busy.Set(static_cast<std::uint32_t>(i), ms(report.busy_ns[i]));
  }
  o.Set("assigned", assigned);
  o.Set("busyTimeMs", busy);
  o.Set("imbalance", report.imbalance);
  return o;
}

RequestQuery query_from_js(const Napi::Object& o) {
  // The TS layer has validated shapes and types; this only maps names.
  RequestQuery q;
  if (o.Has("statuses")) {
    auto statuses = o.Get("statuses").As<Napi::Array>();
    for (std::uint32_t i = 0; i < statuses.Length(); ++i) {
      RequestStatus status;
      std::string name = statuses.Get(i).ToString().Utf8Value();
      if (!request_status_from_name(name, &status)) {
        throw Error(ErrorCode::INVALID_ARGUMENT, "expected a request status but received \"" + name + "\"");
      }
      q.statuses.push_back(status);
    }
  }
  auto number = [&](const char* key) -> std::optional<double> {
    if (!o.Has(key) || o.Get(key).IsUndefined() || o.Get(key).IsNull()) return std::nullopt;
    return o.Get(key).ToNumber().DoubleValue();
  };
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (!o.Has(key) || o.Get(key).IsUndefined() || o.Get(key).IsNull()) return std::nullopt;
    return o.Get(key).ToString().Utf8Value();
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
  if (auto v = text("sortBy")) {
    if (!sort_key_from_name(*v, &q.sort_by)) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "expected sortBy submittedAt, priority, finishedAt, duration or id but received \"" + *v + "\"");
    }
  }
  if (auto v = text("sortOrder")) q.descending = *v == "desc";
  return q;
}

Napi::Object outbox_to_js(Napi::Env env, Outbox& box) {
  // Flat arrays of numbers: one allocation per kind instead of one object per record.
  auto o = Napi::Object::New(env);
  auto dispatches = Napi::Array::New(env, box.dispatches.size() * 4);
  auto actions = Napi::Array::New(env, box.dispatches.size());
  std::uint32_t k = 0;
  for (std::size_t i = 0; i < box.dispatches.size(); ++i) {
    const Dispatch& d = box.dispatches[i];
    dispatches.Set(k++, num(env, static_cast<double>(d.request)));
    dispatches.Set(k++, num(env, d.attempt));
    dispatches.Set(k++, num(env, d.bank));
    dispatches.Set(k++, num(env, d.worker));
    actions.Set(static_cast<std::uint32_t>(i), Napi::String::New(env, *d.action));
  }
  o.Set("dispatches", dispatches);
  o.Set("actions", actions);

  auto aborts = Napi::Array::New(env, box.aborts.size() * 5);
  k = 0;
  for (const Abort& a : box.aborts) {
    aborts.Set(k++, num(env, static_cast<double>(a.request)));
    aborts.Set(k++, num(env, a.attempt));
    aborts.Set(k++, num(env, a.bank));
    aborts.Set(k++, num(env, a.worker));
    aborts.Set(k++, num(env, a.timed_out ? 1 : 0));
  }
  o.Set("aborts", aborts);

  auto ids = Napi::Array::New(env, box.settlements.size());
  auto codes = Napi::Array::New(env, box.settlements.size());
  auto values = Napi::Array::New(env, box.settlements.size());
  auto messages = Napi::Array::New(env, box.settlements.size());
  for (std::size_t i = 0; i < box.settlements.size(); ++i) {
    const Settlement& s = box.settlements[i];
    auto index = static_cast<std::uint32_t>(i);
    ids.Set(index, num(env, static_cast<double>(s.request)));
    codes.Set(index, num(env, static_cast<double>(s.error)));
    if (s.error == ErrorCode::OK) {
      values.Set(index, s.result.is_null() ? env.Undefined() : from_json(env, s.result));
    } else {
      messages.Set(index, Napi::String::New(env, s.message));
    }
  }
  o.Set("settledIds", ids);
  o.Set("settledCodes", codes);
  o.Set("settledValues", values);
  o.Set("settledMessages", messages);

  constexpr int EVENT_FIELDS = 8;
  auto events = Napi::Array::New(env, box.events.size() * EVENT_FIELDS);
  k = 0;
  for (const Event& e : box.events) {
    events.Set(k++, num(env, static_cast<double>(e.type)));
    events.Set(k++, ms(e.at_ns));
    events.Set(k++, num(env, static_cast<double>(e.request)));
    events.Set(k++, num(env, e.bank));
    events.Set(k++, num(env, e.worker));
    events.Set(k++, num(env, e.attempt));
    events.Set(k++, num(env, static_cast<double>(e.error)));
    events.Set(k++, num(env, e.state));
  }
  o.Set("events", events);
  return o;
}

}  // namespace threadbank::node
