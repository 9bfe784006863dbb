#include "convert.h"

#include <cmath>

#include "views.h"

namespace threadbank::node {
namespace {

using nlohmann::json;

constexpr int MAX_DEPTH = 64;

// Where a value sits inside params, kept as a chain on the stack and spelled out only when
// an error names it: building the path string per property cost an allocation each.
struct PathStep {
  const PathStep* parent;
  const char* key;      // object property, or nullptr for an array element
  std::uint32_t index;  // array element
};

std::string spell(const PathStep* step) {
  if (step == nullptr) return "params";
  std::string out = spell(step->parent);
  if (step->key != nullptr) return out + "." + step->key;
  return out + "[" + std::to_string(step->index) + "]";
}

[[noreturn]] void cannot_cross(const char* what, const PathStep* path, const char* received) {
  throw Error(ErrorCode::INVALID_PARAMS, std::string("expected JSON-compatible data for ") + what +
                                             " but " + spell(path) + " is " + received);
}

// A string as UTF-8. Most fit the stack buffer: one N-API call, no allocation beyond the
// result's own.
std::string read_utf8(napi_env env, napi_value text) {
  char buffer[256];
  std::size_t length = 0;
  NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, text, buffer, sizeof buffer, &length), std::string());
  // N-API stops short of a character that does not fit whole, up to 3 bytes early: a string
  // that came that close to the end may have been cut, so read it whole.
  constexpr std::size_t LONGEST_CHARACTER = 4;
  if (length + LONGEST_CHARACTER < sizeof buffer) return std::string(buffer, length);
  return Napi::String(env, text).Utf8Value();
}

// Cycles are caught by the depth limit: napi_value handles for one object differ from
// one Get() to the next, so identity checks on handles would miss them.
json convert(const Napi::Value& value, const char* what, const PathStep* path, int depth) {
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
    std::uint32_t length = array.Length();
    out.get_ref<json::array_t&>().reserve(length);
    for (std::uint32_t i = 0; i < length; ++i) {
      PathStep step{path, nullptr, i};
      out.push_back(convert(array.Get(i), what, &step, depth + 1));
    }
  } else {
    napi_env env = value.Env();
    napi_value object = value;
    // Own enumerable string keys, as JSON.stringify and structured clone take them (the
    // default property list would also walk the prototype chain, the slow part).
    napi_value names = nullptr;
    NAPI_THROW_IF_FAILED(env, napi_get_all_property_names(env, object, napi_key_own_only,
                                                          static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                                          napi_key_numbers_to_strings, &names),
                         json());
    auto keys = Napi::Array(env, names);
    out = json::object();
    std::uint32_t count = keys.Length();
    for (std::uint32_t i = 0; i < count; ++i) {
      Napi::Value key = keys.Get(i);
      Napi::Value field = Napi::Object(env, object).Get(key);
      if (field.IsUndefined()) continue;  // as JSON.stringify and structured clone do
      std::string name = read_utf8(env, key);
      PathStep step{path, name.c_str(), 0};
      out[name] = convert(field, what, &step, depth + 1);
    }
  }
  return out;
}

Napi::Number num(Napi::Env env, double value) { return Napi::Number::New(env, value); }

// Whether JSON text gives back exactly what from_json would build: no bytes, and no NaN or
// Infinity (which JSON writes as null).
bool crosses_as_text(const json& value) {
  switch (value.type()) {
    case json::value_t::binary: return false;
    case json::value_t::number_float: return std::isfinite(value.get<double>());
    case json::value_t::array:
    case json::value_t::object:
      for (const auto& item : value) {
        if (!crosses_as_text(item)) return false;
      }
      return true;
    default: return true;
  }
}

// JSON.parse(text), called once per outbox.
Napi::Value parse_json(Napi::Env env, const std::string& text) {
  auto parse = env.Global().Get("JSON").As<Napi::Object>().Get("parse").As<Napi::Function>();
  return parse.Call({Napi::String::New(env, text)});
}

}  // namespace

json to_json(const Napi::Value& value, const char* what) {
  return convert(value, what, nullptr, 0);
}

std::string utf8_text(const Napi::Value& value) { return read_utf8(value.Env(), value); }

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

Napi::Value outbox_to_js(Napi::Env env, Outbox& box) {
  // Every number travels in one Float64Array (views::write_outbox_numbers): one allocation
  // instead of an N-API call per number, and no named properties to set (setting them was
  // a fifth of a drain). Script banks' batches are only that; an array [numbers, values,
  // messages] carries the rest when some settlement has it.
  auto numbers = Napi::Float64Array::New(env, views::outbox_number_count(box));
  views::write_outbox_numbers(box, numbers.Data());
  const bool has_values = views::outbox_has_values(box);
  const bool has_messages = views::outbox_has_messages(box);
  if (!has_values && !has_messages) return numbers;

  const std::size_t settled = box.settlements.size();
  Napi::Value values = env.Null();
  if (has_values) {
    // The results cross as one JSON text that V8 parses in one call: building each result
    // through N-API took about 3,000 instructions for {result: 10}. The few JSON cannot
    // carry (bytes, NaN, Infinity) stand as null in the text and are set one by one after.
    std::string text = "[";
    std::vector<std::uint32_t> exact;
    for (std::size_t i = 0; i < settled; ++i) {
      const Settlement& s = box.settlements[i];
      if (i > 0) text += ',';
      if (s.error == ErrorCode::OK && crosses_as_text(s.result)) {
        text += s.result.dump(-1, ' ', false, json::error_handler_t::replace);
      } else {
        text += "null";
        if (s.error == ErrorCode::OK) exact.push_back(static_cast<std::uint32_t>(i));
      }
    }
    text += ']';
    auto parsed = parse_json(env, text).As<Napi::Array>();
    for (std::uint32_t index : exact) parsed.Set(index, from_json(env, box.settlements[index].result));
    values = parsed;
  }
  Napi::Value messages = env.Null();
  if (has_messages) {
    auto list = Napi::Array::New(env, settled);
    for (std::size_t i = 0; i < settled; ++i) {
      const Settlement& s = box.settlements[i];
      if (s.error != ErrorCode::OK) list.Set(static_cast<std::uint32_t>(i), Napi::String::New(env, s.message));
    }
    messages = list;
  }
  auto out = Napi::Array::New(env, 3);
  out.Set(0u, numbers);
  out.Set(1u, values);
  out.Set(2u, messages);
  return out;
}

}  // namespace threadbank::node
