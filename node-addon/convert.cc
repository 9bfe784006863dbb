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
