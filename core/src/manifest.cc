#include "threadbank/manifest.h"

#include <array>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "threadbank/error.h"
#include "threadbank/number_text.h"

namespace threadbank {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 8> PARAM_TYPE_NAMES = {
    "any", "string", "number", "integer", "boolean", "object", "array", "binary"};

// Keys that mean something to JavaScript's object model. A manifest or params object that
// uses them as names is rejected, so no layer ever has to reason about prototype pollution.
constexpr std::array<const char*, 3> FORBIDDEN_KEYS = {"__proto__", "constructor", "prototype"};

bool is_forbidden_key(const std::string& key) {
  for (const char* forbidden : FORBIDDEN_KEYS) {
    if (key == forbidden) return true;
  }
  return false;
}

[[noreturn]] void manifest_error(const std::string& path, const std::string& expected,
                                 const json& received) {
  throw Error(ErrorCode::INVALID_MANIFEST, "invalid manifest: " + path + ": expected " + expected +
                                               " but received " + describe_json_type(received));
}

// Where check_keys is, as a chain on the stack: spelled out only for an error (building
// the path string for every key was most of validating a small params object).
struct KeyPath {
  const KeyPath* parent;
  const std::string* key;  // object member, or nullptr for an array element
  std::size_t index;
};

std::string spell(const std::string& root, const KeyPath* at) {
  if (at == nullptr) return root;
  std::string out = spell(root, at->parent);
  if (at->key != nullptr) return out + "." + *at->key;
  return out + "[" + std::to_string(at->index) + "]";
}

// Rejects forbidden keys anywhere inside `value`; `root` and `at` name where we are.
template <typename Fail>
void check_keys(const json& value, const std::string& root, const Fail& fail, const KeyPath* at = nullptr,
                int depth = 0) {
  if (depth > 64) fail(spell(root, at), "at most 64 levels of nesting");
  if (!value.is_structured()) return;
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      KeyPath here{at, &it.key(), 0};
      if (is_forbidden_key(it.key())) fail(spell(root, &here), "a key other than " + it.key());
      check_keys(it.value(), root, fail, &here, depth + 1);
    }
  } else {
    for (std::size_t i = 0; i < value.size(); ++i) {
      KeyPath here{at, nullptr, i};
      check_keys(value[i], root, fail, &here, depth + 1);
    }
  }
}

const json* field(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string require_string(const json& object, const char* name, const std::string& path,
                           bool required) {
  const json* value = field(object, name);
  if (value == nullptr) {
    if (required) manifest_error(path + name, "a non-empty string", json());
    return {};
  }
  if (!value->is_string()) manifest_error(path + name, "a string", *value);
  auto text = value->get<std::string>();
  if (required && text.empty()) manifest_error(path + name, "a non-empty string", *value);
  return text;
}

bool optional_bool(const json& object, const char* name, const std::string& path) {
  const json* value = field(object, name);
  if (value == nullptr) return false;
  if (!value->is_boolean()) manifest_error(path + name, "a boolean", *value);
  return value->get<bool>();
}

// Durations in ms: non-negative integers below ~292 years (so ns fit in int64).
std::optional<std::int64_t> optional_ms(const json& object, const char* name,
                                        const std::string& path) {
  const json* value = field(object, name);
  if (value == nullptr) return std::nullopt;
  constexpr double MAX_MS = 9.2e12;
  if (!value->is_number()) manifest_error(path + name, "a number of milliseconds", *value);
  double ms = value->get<double>();
  if (!std::isfinite(ms) || ms < 0 || ms > MAX_MS || std::floor(ms) != ms) {
    manifest_error(path + name, "a whole number of milliseconds from 0 to 9.2e12", *value);
  }
  return static_cast<std::int64_t>(ms);
}

bool takes_bounds(ParamType type) {
  return type == ParamType::NUMBER || type == ParamType::INTEGER;
}

// A bound: a finite number. JSON has no Infinity, but a manifest built in C++ may.
std::optional<double> optional_bound(const json& object, const char* name,
                                     const std::string& path) {
  const json* value = field(object, name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number() || !std::isfinite(value->get<double>())) {
    manifest_error(path + name, "a finite number", *value);
  }
  return value->get<double>();
}

// What a bounded parameter accepts, for messages: "an integer from 0 to 10", "a number of
// at least 0". Bounds print in their shortest exact form, as a manifest would write them.
std::string bounded_kind(const ParamSpec& spec) {
  std::string kind = spec.type == ParamType::INTEGER ? "an integer" : "a number";
  if (spec.minimum && spec.maximum) {
    return kind + " from " + shortest_number(*spec.minimum) + " to " +
           shortest_number(*spec.maximum);
  }
  if (spec.minimum) return kind + " of at least " + shortest_number(*spec.minimum);
  return kind + " of at most " + shortest_number(*spec.maximum);
}

ParamSpec parse_param(const json& value, const std::string& path) {
  if (!value.is_object()) manifest_error(path, "an object", value);
  ParamSpec spec;
  spec.name = require_string(value, "name", path + ".", true);
  if (is_forbidden_key(spec.name)) {
    manifest_error(path + ".name", "a name other than " + spec.name, value["name"]);
  }
  auto type = require_string(value, "type", path + ".", false);
  if (!type.empty()) {
    bool known = false;
    for (std::size_t i = 0; i < PARAM_TYPE_NAMES.size(); ++i) {
      if (type == PARAM_TYPE_NAMES[i]) {
        spec.type = static_cast<ParamType>(i);
        known = true;
      }
    }
    if (!known) {
      manifest_error(path + ".type",
                     "one of any, string, number, integer, boolean, object, array, binary",
                     value["type"]);
    }
  }
  spec.required = optional_bool(value, "required", path + ".");
  spec.description = require_string(value, "description", path + ".", false);
  spec.minimum = optional_bound(value, "minimum", path + ".");
  spec.maximum = optional_bound(value, "maximum", path + ".");
  if ((spec.minimum || spec.maximum) && !takes_bounds(spec.type)) {
    const char* key = spec.minimum ? "minimum" : "maximum";
    manifest_error(path + "." + key,
                   "bounds only on a number or integer parameter (type is " +
                       std::string(param_type_name(spec.type)) + ")",
                   value[key]);
  }
  if (spec.minimum && spec.maximum && *spec.minimum > *spec.maximum) {
    manifest_error(path + ".maximum",
                   "a number no less than minimum " + shortest_number(*spec.minimum),
                   value["maximum"]);
  }
  return spec;
}

ActionSpec parse_action(const json& value, const std::string& path) {
  if (!value.is_object()) manifest_error(path, "an object", value);
  ActionSpec action;
  const char* id_key = field(value, "actionId") != nullptr ? "actionId" : "id";
  action.id = require_string(value, id_key, path + ".", true);
  if (is_forbidden_key(action.id)) {
    manifest_error(path + "." + id_key, "an id other than " + action.id, value[id_key]);
  }
  action.description = require_string(value, "description", path + ".", false);
  action.retryable = optional_bool(value, "retryable", path + ".");
  action.timeout_ms = optional_ms(value, "timeout", path + ".");
  action.estimated_duration_ms = optional_ms(value, "estimatedDuration", path + ".").value_or(0);
  action.response_type = require_string(value, "responseType", path + ".", false);
  if (const json* params = field(value, "parameters")) {
    if (!params->is_array()) manifest_error(path + ".parameters", "an array", *params);
    std::unordered_set<std::string> names;
    for (std::size_t i = 0; i < params->size(); ++i) {
      auto param_path = path + ".parameters[" + std::to_string(i) + "]";
      action.parameters.push_back(parse_param((*params)[i], param_path));
      if (!names.insert(action.parameters.back().name).second) {
        manifest_error(param_path + ".name", "a name not used by another parameter",
                       (*params)[i]["name"]);
      }
    }
  }
  return action;
}

bool matches(ParamType type, const json& value) {
  switch (type) {
    case ParamType::ANY: return true;
    case ParamType::STRING: return value.is_string();
    case ParamType::NUMBER: return value.is_number();
    case ParamType::INTEGER:
      return value.is_number_integer() ||
             (value.is_number_float() && std::isfinite(value.get<double>()) &&
              std::floor(value.get<double>()) == value.get<double>());
    case ParamType::BOOLEAN: return value.is_boolean();
    case ParamType::OBJECT: return value.is_object();
    case ParamType::ARRAY: return value.is_array();
    case ParamType::BINARY: return value.is_binary() || value.is_array() || value.is_string();
  }
  return false;
}

}  // namespace

const char* param_type_name(ParamType type) noexcept {
  auto index = static_cast<std::size_t>(type);
  return index < PARAM_TYPE_NAMES.size() ? PARAM_TYPE_NAMES[index] : "any";
}

const ActionSpec* Manifest::find_action(const std::string& id) const noexcept {
  for (const auto& action : actions) {
    if (action.id == id) return &action;
  }
  return nullptr;
}

std::string describe_json_type(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::discarded: return "nothing";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::binary: return "binary data";
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case json::value_t::string: {
      auto text = value.get<std::string>();
      if (text.size() > 40) {
        // Cut on a character boundary: never inside a UTF-8 sequence (continuation bytes
        // are 10xxxxxx).
        std::size_t cut = 40;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut) + "...";
      }
      // Input may hold invalid UTF-8; a message must still be produced, not an exception.
      return "the string " + json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    default: return "the number " + value.dump();
  }
}

Manifest parse_manifest(const json& value) {
  if (!value.is_object()) manifest_error("manifest", "an object", value);
  check_keys(value, "manifest", [&](const std::string& path, const std::string& expected) {
    throw Error(ErrorCode::INVALID_MANIFEST, "invalid manifest: " + path + ": expected " + expected);
  });
  Manifest manifest;
  manifest.name = require_string(value, "name", "", true);
  manifest.version = require_string(value, "version", "", false);
  if (manifest.version.empty()) manifest.version = "0.0.0";
  const json* actions = field(value, "actions");
  if (actions == nullptr || !actions->is_array() || actions->empty()) {
    manifest_error("actions", "a non-empty array of actions", actions ? *actions : json());
  }
  std::unordered_set<std::string> ids;
  for (std::size_t i = 0; i < actions->size(); ++i) {
    auto path = "actions[" + std::to_string(i) + "]";
    manifest.actions.push_back(parse_action((*actions)[i], path));
    if (!ids.insert(manifest.actions.back().id).second) {
      manifest_error(path + ".actionId", "an id not used by another action",
                     json(manifest.actions.back().id));
    }
  }
  if (const json* max = field(value, "maxConcurrentTasks")) {
    if (!max->is_number_integer() || max->get<std::int64_t>() < 1 ||
        max->get<std::int64_t>() > 1024) {
      manifest_error("maxConcurrentTasks", "an integer from 1 to 1024", *max);
    }
    manifest.max_concurrent_tasks = max->get<int>();
  }
  manifest.default_timeout_ms = optional_ms(value, "defaultTimeout", "");
  return manifest;
}

Manifest parse_manifest_text(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    throw Error(ErrorCode::INVALID_MANIFEST, "invalid manifest: expected JSON text");
  }
  return parse_manifest(value);
}

json manifest_to_json(const Manifest& manifest) {
  json actions = json::array();
  for (const auto& action : manifest.actions) {
    json params = json::array();
    for (const auto& param : action.parameters) {
      json entry = {{"name", param.name},
                    {"type", param_type_name(param.type)},
                    {"required", param.required},
                    {"description", param.description}};
      if (param.minimum) entry["minimum"] = *param.minimum;
      if (param.maximum) entry["maximum"] = *param.maximum;
      params.push_back(std::move(entry));
    }
    json entry = {{"actionId", action.id},
                  {"description", action.description},
                  {"parameters", std::move(params)},
                  {"retryable", action.retryable},
                  {"estimatedDuration", action.estimated_duration_ms},
                  {"responseType", action.response_type}};
    if (action.timeout_ms) entry["timeout"] = *action.timeout_ms;
    actions.push_back(std::move(entry));
  }
  json out = {{"name", manifest.name},
              {"version", manifest.version},
              {"actions", std::move(actions)},
              {"maxConcurrentTasks", manifest.max_concurrent_tasks}};
  if (manifest.default_timeout_ms) out["defaultTimeout"] = *manifest.default_timeout_ms;
  return out;
}

void validate_params(const ActionSpec& action, const json& params) {
  auto fail = [&](const std::string& path, const std::string& expected, const json* received) {
    std::string message = "invalid params for " + action.id + ": " + path + ": expected " + expected;
    if (received != nullptr) message += " but received " + describe_json_type(*received);
    throw Error(ErrorCode::INVALID_PARAMS, message);
  };
  if (!params.is_object()) fail("params", "an object", &params);
  check_keys(params, "params",
             [&](const std::string& path, const std::string& expected) { fail(path, expected, nullptr); });
  for (const auto& spec : action.parameters) {
    auto it = params.find(spec.name);
    if (it == params.end() || it->is_null()) {
      if (spec.required) {
        static const json NOTHING(json::value_t::discarded);
        fail("params." + spec.name, std::string("a required ") + param_type_name(spec.type),
             it == params.end() ? &NOTHING : &*it);
      }
      continue;
    }
    if (!matches(spec.type, *it)) {
      fail("params." + spec.name, std::string("a value of type ") + param_type_name(spec.type), &*it);
    }
    if ((spec.minimum || spec.maximum) && it->is_number()) {
      // NaN cannot arrive in JSON, but would fail both comparisons.
      double number = it->get<double>();
      if (!(number >= spec.minimum.value_or(-HUGE_VAL) &&
            number <= spec.maximum.value_or(HUGE_VAL))) {
        fail("params." + spec.name, bounded_kind(spec), &*it);
      }
    }
  }
}

}  // namespace threadbank
