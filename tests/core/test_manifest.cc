// Manifest parsing and params validation: every error has the right code and names the
// field at fault.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "threadbank/error.h"
#include "threadbank/manifest.h"

using namespace threadbank;
using nlohmann::json;

namespace {

json valid_manifest() {
  return json::parse(R"({
    "name": "img", "version": "1.2.0", "maxConcurrentTasks": 2, "defaultTimeout": 5000,
    "actions": [
      {"actionId": "resize", "description": "scales", "retryable": true, "timeout": 2000,
       "estimatedDuration": 40, "responseType": "Image",
       "parameters": [{"name": "width", "type": "integer", "required": true},
                      {"name": "mode", "type": "string"}]},
      {"id": "blur"}
    ]})");
}

/// The error a manifest produces: its code and message.
std::pair<ErrorCode, std::string> manifest_error(const json& manifest) {
  try {
    parse_manifest(manifest);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::OK, ""};
}

}  // namespace

TEST_CASE("a valid manifest parses and round-trips through JSON", "[manifest]") {
  Manifest m = parse_manifest(valid_manifest());
  CHECK(m.name == "img");
  CHECK(m.max_concurrent_tasks == 2);
  CHECK(m.default_timeout_ms == 5000);
  REQUIRE(m.actions.size() == 2);
  CHECK(m.actions[0].retryable);
  CHECK(m.actions[0].timeout_ms == 2000);
  CHECK(m.actions[0].parameters[0].type == ParamType::INTEGER);
  CHECK(m.actions[1].id == "blur");
  Manifest again = parse_manifest(manifest_to_json(m));
  CHECK(manifest_to_json(again) == manifest_to_json(m));
  CHECK(m.find_action("blur") != nullptr);
  CHECK(m.find_action("nope") == nullptr);
}

TEST_CASE("each malformed field is rejected with E_INVALID_MANIFEST naming it", "[manifest]") {
  struct Case {
    const char* path;
    std::function<void(json&)> spoil;
  };
  std::vector<Case> cases = {
      {"name", [](json& m) { m.erase("name"); }},
      {"name", [](json& m) { m["name"] = 5; }},
      {"actions", [](json& m) { m["actions"] = json::array(); }},
      {"actions", [](json& m) { m.erase("actions"); }},
      {"actions[1]", [](json& m) { m["actions"][1] = "blur"; }},
      {"actions[1].actionId",
       [](json& m) {
         m["actions"][1] = {{"actionId", "resize"}};
       }},
      {"actions[0].timeout", [](json& m) { m["actions"][0]["timeout"] = -1; }},
      {"actions[0].timeout", [](json& m) { m["actions"][0]["timeout"] = 1.5; }},
      {"actions[0].retryable", [](json& m) { m["actions"][0]["retryable"] = "yes"; }},
      {"actions[0].parameters", [](json& m) { m["actions"][0]["parameters"] = 3; }},
      {"actions[0].parameters[0].type",
       [](json& m) { m["actions"][0]["parameters"][0]["type"] = "str"; }},
      {"actions[0].parameters[1].name",
       [](json& m) { m["actions"][0]["parameters"][1]["name"] = "width"; }},
      {"actions[0].parameters[0].name",
       [](json& m) { m["actions"][0]["parameters"][0]["name"] = "__proto__"; }},
      {"actions[1].id", [](json& m) { m["actions"][1]["id"] = "constructor"; }},
      {"maxConcurrentTasks", [](json& m) { m["maxConcurrentTasks"] = 0; }},
      {"maxConcurrentTasks", [](json& m) { m["maxConcurrentTasks"] = 2.5; }},
      {"defaultTimeout", [](json& m) { m["defaultTimeout"] = "soon"; }},
      {"manifest.__proto__", [](json& m) { m["__proto__"] = json::object(); }},
  };
  for (const auto& c : cases) {
    json manifest = valid_manifest();
    c.spoil(manifest);
    auto [code, message] = manifest_error(manifest);
    INFO("field " << c.path << ": " << message);
    CHECK(code == ErrorCode::INVALID_MANIFEST);
    CHECK(message.find(c.path) != std::string::npos);
  }
  CHECK(manifest_error(json::array()).first == ErrorCode::INVALID_MANIFEST);
  try {
    parse_manifest_text("{not json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::INVALID_MANIFEST);
  }
}

TEST_CASE("params are validated against declared parameters", "[manifest][params]") {
  Manifest m = parse_manifest(valid_manifest());
  const ActionSpec& resize = m.actions[0];
  auto params_error = [&](const json& params) {
    try {
      validate_params(resize, params);
    } catch (const Error& e) {
      return std::make_pair(e.code(), std::string(e.what()));
    }
    return std::make_pair(ErrorCode::OK, std::string());
  };
  CHECK(params_error({{"width", 10}}).first == ErrorCode::OK);
  CHECK(params_error({{"width", 10.0}}).first == ErrorCode::OK);  // a whole number is an integer
  CHECK(params_error({{"width", 10}, {"extra", true}}).first == ErrorCode::OK);
  auto missing = params_error(json::object());
  CHECK(missing.first == ErrorCode::INVALID_PARAMS);
  CHECK(missing.second.find("params.width") != std::string::npos);
  CHECK(params_error({{"width", 1.5}}).first == ErrorCode::INVALID_PARAMS);
  CHECK(params_error({{"width", "10"}}).first == ErrorCode::INVALID_PARAMS);
  CHECK(params_error({{"width", 1}, {"mode", 3}}).first == ErrorCode::INVALID_PARAMS);
  CHECK(params_error(json::array()).first == ErrorCode::INVALID_PARAMS);
  CHECK(params_error(json::parse(R"({"width": 1, "__proto__": {}})")).first ==
        ErrorCode::INVALID_PARAMS);
  CHECK(params_error(json::parse(R"({"width": 1, "x": {"constructor": 1}})")).first ==
        ErrorCode::INVALID_PARAMS);

  ActionSpec open;
  open.id = "open";
  CHECK_NOTHROW(validate_params(open, {{"anything", {1, 2}}}));

  SECTION("every type is checked") {
    struct TypeCase {
      ParamType type;
      json good, bad;
    };
    std::vector<TypeCase> cases = {{ParamType::STRING, "s", 1},
                                   {ParamType::NUMBER, 1.5, "1"},
                                   {ParamType::INTEGER, 3, 3.5},
                                   {ParamType::BOOLEAN, true, 0},
                                   {ParamType::OBJECT, json::object(), json::array()},
                                   {ParamType::ARRAY, json::array(), json::object()}};
    for (const auto& c : cases) {
      ActionSpec a;
      a.id = "a";
      a.parameters.push_back(ParamSpec{"p", c.type, true, ""});
      CHECK_NOTHROW(validate_params(a, {{"p", c.good}}));
      CHECK_THROWS_AS(validate_params(a, {{"p", c.bad}}), Error);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Field-by-field round trips, every malformed field with its path, and params validation
// for each declared type.

namespace {

/// A manifest using every field, with a parameter of each type.
json full_manifest() {
  return json::parse(R"({
    "name": "kitchen-sink", "version": "3.4.5", "maxConcurrentTasks": 7, "defaultTimeout": 9000,
    "actions": [
      {"actionId": "mix", "description": "mixes things", "retryable": true, "timeout": 1234,
       "estimatedDuration": 56, "responseType": "Mixture",
       "parameters": [
         {"name": "a", "type": "any", "required": true, "description": "anything"},
         {"name": "s", "type": "string", "required": false, "description": "a string"},
         {"name": "n", "type": "number"},
         {"name": "i", "type": "integer", "required": true},
         {"name": "b", "type": "boolean"},
         {"name": "o", "type": "object"},
         {"name": "arr", "type": "array"},
         {"name": "bin", "type": "binary"}]},
      {"id": "plain"},
      {"actionId": "zero", "timeout": 0}
    ]})");
}

/// Code and message of the error parse_manifest throws for `manifest` (OK when none).
std::pair<ErrorCode, std::string> parse_error(const json& manifest) {
  try {
    parse_manifest(manifest);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::OK, ""};
}

ErrorCode text_error(const std::string& text) {
  try {
    parse_manifest_text(text);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::OK;
}

/// Code and message of the error validate_params throws (OK when none).
std::pair<ErrorCode, std::string> params_error_of(const ActionSpec& action, const json& params) {
  try {
    validate_params(action, params);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::OK, ""};
}

void check_same(const Manifest& a, const Manifest& b) {
  CHECK(a.name == b.name);
  CHECK(a.version == b.version);
  CHECK(a.max_concurrent_tasks == b.max_concurrent_tasks);
  CHECK(a.default_timeout_ms == b.default_timeout_ms);
  REQUIRE(a.actions.size() == b.actions.size());
  for (std::size_t i = 0; i < a.actions.size(); ++i) {
    const ActionSpec& x = a.actions[i];
    const ActionSpec& y = b.actions[i];
    INFO("action " << i);
    CHECK(x.id == y.id);
    CHECK(x.description == y.description);
    CHECK(x.retryable == y.retryable);
    CHECK(x.timeout_ms == y.timeout_ms);
    CHECK(x.estimated_duration_ms == y.estimated_duration_ms);
    CHECK(x.response_type == y.response_type);
    REQUIRE(x.parameters.size() == y.parameters.size());
    for (std::size_t p = 0; p < x.parameters.size(); ++p) {
      INFO("parameter " << p);
      CHECK(x.parameters[p].name == y.parameters[p].name);
      CHECK(x.parameters[p].type == y.parameters[p].type);
      CHECK(x.parameters[p].required == y.parameters[p].required);
      CHECK(x.parameters[p].description == y.parameters[p].description);
      CHECK(x.parameters[p].minimum == y.parameters[p].minimum);
      CHECK(x.parameters[p].maximum == y.parameters[p].maximum);
    }
  }
}

}  // namespace

TEST_CASE("every manifest field is read from its camelCase name", "[manifest]") {
  Manifest m = parse_manifest(full_manifest());
  CHECK(m.name == "kitchen-sink");
  CHECK(m.version == "3.4.5");
  CHECK(m.max_concurrent_tasks == 7);
  CHECK(m.default_timeout_ms == 9000);
  REQUIRE(m.actions.size() == 3);

  const ActionSpec& mix = m.actions[0];
  CHECK(mix.id == "mix");
  CHECK(mix.description == "mixes things");
  CHECK(mix.retryable);
  CHECK(mix.timeout_ms == 1234);
  CHECK(mix.estimated_duration_ms == 56);
  CHECK(mix.response_type == "Mixture");
  const std::vector<std::pair<std::string, ParamType>> params = {
      {"a", ParamType::ANY},     {"s", ParamType::STRING},  {"n", ParamType::NUMBER},
      {"i", ParamType::INTEGER}, {"b", ParamType::BOOLEAN}, {"o", ParamType::OBJECT},
      {"arr", ParamType::ARRAY}, {"bin", ParamType::BINARY}};
  REQUIRE(mix.parameters.size() == params.size());
  for (std::size_t p = 0; p < params.size(); ++p) {
    CHECK(mix.parameters[p].name == params[p].first);
    CHECK(mix.parameters[p].type == params[p].second);
  }
  CHECK(mix.parameters[0].required);
  CHECK(mix.parameters[0].description == "anything");
  CHECK_FALSE(mix.parameters[1].required);
  CHECK(mix.parameters[1].description == "a string");
  CHECK_FALSE(mix.parameters[2].required);  // required defaults to false
  CHECK(mix.parameters[3].required);

  // "id" is accepted in place of "actionId"; omitted fields take their defaults.
  const ActionSpec& plain = m.actions[1];
  CHECK(plain.id == "plain");
  CHECK_FALSE(plain.retryable);
  CHECK_FALSE(plain.timeout_ms.has_value());
  CHECK(plain.parameters.empty());

  // A timeout of 0 is allowed (it means "none"); it is not the same as no timeout given.
  CHECK(m.actions[2].timeout_ms == 0);
}

TEST_CASE("a manifest without optional fields gets the documented defaults", "[manifest]") {
  Manifest m = parse_manifest(
      json::parse(R"({"name": "n", "version": "1", "actions": [{"actionId": "x"}]})"));
  CHECK(m.max_concurrent_tasks == 1);  // docs/scheduling.md: default 1
  CHECK_FALSE(m.default_timeout_ms.has_value());
  REQUIRE(m.actions.size() == 1);
  CHECK(m.actions[0].id == "x");
}

TEST_CASE("param type names match the spellings manifests use", "[manifest]") {
  const std::vector<std::pair<ParamType, std::string>> names = {
      {ParamType::ANY, "any"},         {ParamType::STRING, "string"},
      {ParamType::NUMBER, "number"},   {ParamType::INTEGER, "integer"},
      {ParamType::BOOLEAN, "boolean"}, {ParamType::OBJECT, "object"},
      {ParamType::ARRAY, "array"},     {ParamType::BINARY, "binary"}};
  for (const auto& [type, name] : names) CHECK(std::string(param_type_name(type)) == name);
}

TEST_CASE("every field survives manifest_to_json, as JSON and as text", "[manifest]") {
  Manifest m = parse_manifest(full_manifest());
  json out = manifest_to_json(m);

  // The output uses the manifest spellings, so it can be fed straight back.
  CHECK(out.at("name") == "kitchen-sink");
  CHECK(out.at("version") == "3.4.5");
  CHECK(out.at("maxConcurrentTasks") == 7);
  CHECK(out.at("defaultTimeout") == 9000);
  const json& mix = out.at("actions").at(0);
  CHECK(mix.value("actionId", mix.value("id", std::string())) == "mix");
  CHECK(mix.at("timeout") == 1234);
  CHECK(mix.at("estimatedDuration") == 56);
  CHECK(mix.at("responseType") == "Mixture");
  CHECK(mix.at("retryable") == true);
  CHECK(mix.at("parameters").at(3).at("type") == "integer");

  SECTION("through JSON") {
    check_same(parse_manifest(out), m);
  }
  SECTION("through text") {
    check_same(parse_manifest_text(out.dump()), m);
  }
  SECTION("through text with whitespace") {
    check_same(parse_manifest_text(out.dump(2)), m);
  }
}

TEST_CASE("malformed fields: E_INVALID_MANIFEST with the field path", "[manifest]") {
  struct Case {
    const char* path;
    std::function<void(json&)> spoil;
  };
  const std::vector<Case> cases = {
      // top level
      {"name", [](json& m) { m["name"] = json::array({"x"}); }},
      {"version", [](json& m) { m["version"] = 3; }},
      {"actions", [](json& m) { m["actions"] = json::object(); }},
      {"actions", [](json& m) { m["actions"] = "mix"; }},
      {"maxConcurrentTasks", [](json& m) { m["maxConcurrentTasks"] = -1; }},
      {"maxConcurrentTasks", [](json& m) { m["maxConcurrentTasks"] = -100; }},
      {"maxConcurrentTasks", [](json& m) { m["maxConcurrentTasks"] = "2"; }},
      {"maxConcurrentTasks", [](json& m) { m["maxConcurrentTasks"] = true; }},
      {"defaultTimeout", [](json& m) { m["defaultTimeout"] = -1; }},
      {"defaultTimeout", [](json& m) { m["defaultTimeout"] = -5000; }},
      {"defaultTimeout", [](json& m) { m["defaultTimeout"] = json::object(); }},
      // actions
      {"actions[0]", [](json& m) { m["actions"][0] = 5; }},
      {"actions[2]", [](json& m) { m["actions"][2] = json::array(); }},
      {"actions[0].actionId", [](json& m) { m["actions"][0]["actionId"] = 7; }},
      {"actions[0].actionId", [](json& m) { m["actions"][0]["actionId"] = "__proto__"; }},
      {"actions[0].actionId", [](json& m) { m["actions"][0]["actionId"] = "constructor"; }},
      {"actions[1].id", [](json& m) { m["actions"][1]["id"] = false; }},
      {"actions[1].id", [](json& m) { m["actions"][1]["id"] = "__proto__"; }},
      {"actions[0].description", [](json& m) { m["actions"][0]["description"] = 3; }},
      {"actions[0].retryable", [](json& m) { m["actions"][0]["retryable"] = 1; }},
      {"actions[0].timeout", [](json& m) { m["actions"][0]["timeout"] = "1s"; }},
      {"actions[0].timeout", [](json& m) { m["actions"][0]["timeout"] = -1000; }},
      {"actions[0].estimatedDuration",
       [](json& m) { m["actions"][0]["estimatedDuration"] = "fast"; }},
      {"actions[0].estimatedDuration", [](json& m) { m["actions"][0]["estimatedDuration"] = -5; }},
      {"actions[0].responseType", [](json& m) { m["actions"][0]["responseType"] = 1; }},
      {"actions[0].parameters", [](json& m) { m["actions"][0]["parameters"] = json::object(); }},
      // parameters
      {"actions[0].parameters[0]", [](json& m) { m["actions"][0]["parameters"][0] = "a"; }},
      {"actions[0].parameters[0].name",
       [](json& m) { m["actions"][0]["parameters"][0].erase("name"); }},
      {"actions[0].parameters[0].name",
       [](json& m) { m["actions"][0]["parameters"][0]["name"] = 5; }},
      {"actions[0].parameters[1].name",
       [](json& m) { m["actions"][0]["parameters"][1]["name"] = "constructor"; }},
      {"actions[0].parameters[2].name",
       [](json& m) { m["actions"][0]["parameters"][2]["name"] = "__proto__"; }},
      {"actions[0].parameters[0].type",
       [](json& m) { m["actions"][0]["parameters"][0]["type"] = 5; }},
      {"actions[0].parameters[3].type",
       [](json& m) { m["actions"][0]["parameters"][3]["type"] = "int"; }},
      {"actions[0].parameters[1].type",
       [](json& m) { m["actions"][0]["parameters"][1]["type"] = "String"; }},
      {"actions[0].parameters[4].required",
       [](json& m) { m["actions"][0]["parameters"][4]["required"] = "yes"; }},
      {"actions[0].parameters[5].description",
       [](json& m) { m["actions"][0]["parameters"][5]["description"] = 1; }},
      {"actions[1].parameters[0].type",
       [](json& m) {
         m["actions"][1]["parameters"] = json::parse(R"([{"name": "radius", "type": "float"}])");
       }},
      {"actions[2].parameters[1].type",
       [](json& m) {
         m["actions"][2]["parameters"] =
             json::parse(R"([{"name": "x", "type": "number"}, {"name": "y", "type": "double"}])");
       }},
  };
  for (const auto& c : cases) {
    json manifest = full_manifest();
    c.spoil(manifest);
    auto [code, message] = parse_error(manifest);
    INFO("field " << c.path << " -> " << message);
    CHECK(code == ErrorCode::INVALID_MANIFEST);
    CHECK(message.find(c.path) != std::string::npos);
  }
}

TEST_CASE("a manifest without a name or actions is rejected naming the field", "[manifest]") {
  struct Case {
    const char* path;
    std::function<void(json&)> spoil;
  };
  const std::vector<Case> cases = {
      {"name", [](json& m) { m.erase("name"); }},
      {"name", [](json& m) { m["name"] = nullptr; }},
      {"actions", [](json& m) { m.erase("actions"); }},
      {"actions", [](json& m) { m["actions"] = json::array(); }},
  };
  for (const auto& c : cases) {
    json manifest = full_manifest();
    c.spoil(manifest);
    auto [code, message] = parse_error(manifest);
    INFO("field " << c.path << " -> " << message);
    CHECK(code == ErrorCode::INVALID_MANIFEST);
    CHECK(message.find(c.path) != std::string::npos);
  }
}

TEST_CASE("version is optional, but must be a string when given", "[manifest][version]") {
  // The public TS type declares `version?: string` and tests/js/test-mode.test.ts registers
  // a manifest without one, so the core must accept it. (A wrong type is rejected: see the
  // "version" row of the malformed-fields table.)
  json manifest = full_manifest();
  manifest.erase("version");
  auto [code, message] = parse_error(manifest);
  INFO(message);
  CHECK(code == ErrorCode::OK);
  // What it parses to still round-trips.
  CHECK(parse_error(manifest_to_json(parse_manifest(manifest))).first == ErrorCode::OK);
}

TEST_CASE("an action without any id is rejected naming the action", "[manifest]") {
  json manifest = full_manifest();
  manifest["actions"][1] = json::parse(R"({"description": "no id at all"})");
  auto [code, message] = parse_error(manifest);
  INFO(message);
  CHECK(code == ErrorCode::INVALID_MANIFEST);
  CHECK(message.find("actions[1]") != std::string::npos);
}

TEST_CASE("duplicate action ids are rejected whichever key spells them", "[manifest]") {
  SECTION("actionId twice") {
    json manifest = full_manifest();
    manifest["actions"][2]["actionId"] = "mix";
    auto [code, message] = parse_error(manifest);
    INFO(message);
    CHECK(code == ErrorCode::INVALID_MANIFEST);
    CHECK(message.find("actions[2]") != std::string::npos);
  }
  SECTION("actionId then id") {
    json manifest = full_manifest();
    manifest["actions"][1]["id"] = "mix";
    auto [code, message] = parse_error(manifest);
    INFO(message);
    CHECK(code == ErrorCode::INVALID_MANIFEST);
    CHECK(message.find("actions[1]") != std::string::npos);
  }
}

TEST_CASE("a manifest that is not a JSON object is rejected", "[manifest]") {
  for (const json& value :
       {json(nullptr), json("manifest"), json(42), json(true), json::array({1})}) {
    INFO(value.dump());
    CHECK(parse_error(value).first == ErrorCode::INVALID_MANIFEST);
  }
}

TEST_CASE("manifest text that is not JSON is rejected with E_INVALID_MANIFEST", "[manifest]") {
  for (const char* text : {"", "   ", "{", "{\"name\": }", "{'name': 'x'}", "[1, 2", "nul", "{} {}",
                           "{\"name\": \"n\", \"actions\": [{\"id\": \"a\"}]} trailing"}) {
    INFO("text: " << text);
    CHECK(text_error(text) == ErrorCode::INVALID_MANIFEST);
  }
  // JSON that is valid but not a manifest fails the same way.
  CHECK(text_error("[]") == ErrorCode::INVALID_MANIFEST);
  CHECK(text_error("{}") == ErrorCode::INVALID_MANIFEST);
  // And valid text parses.
  CHECK(text_error(R"({"name": "n", "version": "1", "actions": [{"id": "a"}]})") == ErrorCode::OK);
}

TEST_CASE("validate_params: missing required params are E_INVALID_PARAMS naming the param",
          "[manifest][params]") {
  ActionSpec action;
  action.id = "scale";
  action.parameters = {ParamSpec{"widthPx", ParamType::INTEGER, true, ""},
                       ParamSpec{"heightPx", ParamType::INTEGER, true, ""},
                       ParamSpec{"label", ParamType::STRING, false, ""}};
  auto [code, message] = params_error_of(action, json::parse(R"({"heightPx": 3})"));
  CHECK(code == ErrorCode::INVALID_PARAMS);
  CHECK(message.find("widthPx") != std::string::npos);

  auto second = params_error_of(action, json::parse(R"({"widthPx": 3, "label": "x"})"));
  CHECK(second.first == ErrorCode::INVALID_PARAMS);
  CHECK(second.second.find("heightPx") != std::string::npos);

  // The optional one may be left out.
  CHECK(params_error_of(action, json::parse(R"({"widthPx": 3, "heightPx": 4})")).first ==
        ErrorCode::OK);
}

TEST_CASE("validate_params checks each declared type", "[manifest][params]") {
  struct TypeCase {
    ParamType type;
    std::vector<json> good, bad;
  };
  const std::vector<TypeCase> cases = {
      {ParamType::STRING, {"s", "", "12"}, {1, 1.5, true, json::object(), json::array()}},
      {ParamType::NUMBER, {0, 1, -3, 1.5, -2.25}, {"1", true, json::object(), json::array()}},
      {ParamType::INTEGER, {0, 3, -2, 4'000'000'000LL}, {1.5, -0.5, "3", true, json::array({3})}},
      {ParamType::BOOLEAN, {true, false}, {0, 1, "true", json::object(), json::array()}},
      {ParamType::OBJECT,
       {json::object(), json::parse(R"({"a": [1, {"b": 2}]})")},
       {json::array(), "x", 1, true}},
      {ParamType::ARRAY,
       {json::array(), json::array({1, "two", json::object()})},
       {json::object(), "x", 1, false}},
      {ParamType::ANY, {1, "s", true, 2.5, json::object(), json::array()}, {}},
  };
  for (const auto& c : cases) {
    ActionSpec action;
    action.id = "typed";
    action.parameters.push_back(ParamSpec{"theParam", c.type, true, ""});
    for (const auto& value : c.good) {
      json params = json::object();
      params["theParam"] = value;
      INFO("type " << param_type_name(c.type) << " accepts " << value.dump());
      CHECK(params_error_of(action, params).first == ErrorCode::OK);
    }
    for (const auto& value : c.bad) {
      json params = json::object();
      params["theParam"] = value;
      auto [code, message] = params_error_of(action, params);
      INFO("type " << param_type_name(c.type) << " rejects " << value.dump() << " -> " << message);
      CHECK(code == ErrorCode::INVALID_PARAMS);
      CHECK(message.find("theParam") != std::string::npos);
    }
  }
}

TEST_CASE("validate_params: an optional param, when given, must still have its type",
          "[manifest][params]") {
  ActionSpec action;
  action.id = "opt";
  action.parameters.push_back(ParamSpec{"flag", ParamType::BOOLEAN, false, ""});
  CHECK(params_error_of(action, json::object()).first == ErrorCode::OK);
  CHECK(params_error_of(action, json::parse(R"({"flag": true})")).first == ErrorCode::OK);
  auto [code, message] = params_error_of(action, json::parse(R"({"flag": "yes"})"));
  CHECK(code == ErrorCode::INVALID_PARAMS);
  CHECK(message.find("flag") != std::string::npos);
}

TEST_CASE("validate_params: params must be an object, with or without declared params",
          "[manifest][params]") {
  ActionSpec declared;
  declared.id = "declared";
  declared.parameters.push_back(ParamSpec{"x", ParamType::ANY, false, ""});
  ActionSpec open;
  open.id = "open";
  for (const json& params :
       {json(nullptr), json(1), json("x"), json(true), json::array(), json::array({1, 2})}) {
    INFO(params.dump());
    CHECK(params_error_of(declared, params).first == ErrorCode::INVALID_PARAMS);
    CHECK(params_error_of(open, params).first == ErrorCode::INVALID_PARAMS);
  }
}

TEST_CASE("validate_params: no declared params accepts any object, undeclared fields are allowed",
          "[manifest][params]") {
  ActionSpec open;
  open.id = "open";
  CHECK(params_error_of(open, json::object()).first == ErrorCode::OK);
  CHECK(params_error_of(open, json::parse(R"({"a": 1, "b": "two", "c": [3], "d": {"e": null}})"))
            .first == ErrorCode::OK);

  ActionSpec declared;
  declared.id = "declared";
  declared.parameters.push_back(ParamSpec{"n", ParamType::NUMBER, true, ""});
  CHECK(params_error_of(declared, json::parse(R"({"n": 1, "extra": "fine", "more": {"x": []}})"))
            .first == ErrorCode::OK);
}

TEST_CASE("messages quote long strings with invalid or cut UTF-8 safely", "[manifest]") {
  // A long string whose 40th byte falls inside a two-byte character, and invalid UTF-8:
  // both must give E_INVALID_MANIFEST with a message, never another exception.
  std::string text = std::string("\"") + std::string(39, 'a') + "\xc5\xbc tail\"";
  for (const std::string& input : {text, std::string("\"\xff\xfe\"")}) {
    try {
      parse_manifest_text(input);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::INVALID_MANIFEST);
    }
  }
}

// --- bounds --------------------------------------------------------------------------

namespace {

/// An action "bounded" with one required parameter "count" of `type` and these bounds.
json bounded_manifest(const char* type, json minimum, json maximum) {
  json param = {{"name", "count"}, {"type", type}, {"required", true}};
  if (!minimum.is_null()) param["minimum"] = std::move(minimum);
  if (!maximum.is_null()) param["maximum"] = std::move(maximum);
  return {{"name", "b"}, {"actions", {{{"actionId", "bounded"}, {"parameters", {param}}}}}};
}

}  // namespace

TEST_CASE("number and integer parameters take minimum and maximum, which round-trip",
          "[manifest][bounds]") {
  Manifest m = parse_manifest(bounded_manifest("number", -1.5, 0.00025));
  const ParamSpec& count = m.actions[0].parameters[0];
  CHECK(count.minimum == -1.5);
  CHECK(count.maximum == 0.00025);
  json out = manifest_to_json(m);
  const json& param = out.at("actions").at(0).at("parameters").at(0);
  CHECK(param.at("minimum") == -1.5);
  CHECK(param.at("maximum") == 0.00025);
  check_same(parse_manifest(out), m);
  check_same(parse_manifest_text(out.dump()), m);

  // One bound alone, and equal bounds, are fine; no bound leaves both empty.
  CHECK(parse_manifest(bounded_manifest("integer", 0, nullptr)).actions[0].parameters[0].maximum ==
        std::nullopt);
  CHECK(parse_manifest(bounded_manifest("integer", nullptr, 9)).actions[0].parameters[0].maximum ==
        9.0);
  CHECK(manifest_error(bounded_manifest("integer", 3, 3)).first == ErrorCode::OK);
  Manifest unbounded = parse_manifest(valid_manifest());
  const ParamSpec& plain = unbounded.actions[0].parameters[0];
  CHECK_FALSE(plain.minimum.has_value());
  CHECK_FALSE(plain.maximum.has_value());
  CHECK(manifest_to_json(parse_manifest(valid_manifest()))["actions"][0]["parameters"][0].count(
            "minimum") == 0);
}

TEST_CASE("bad bounds are refused with E_INVALID_MANIFEST naming the bound", "[manifest][bounds]") {
  struct Case {
    json manifest;
    const char* path;
  };
  const std::string at = "actions[0].parameters[0].";
  const std::vector<Case> cases = {
      {bounded_manifest("number", "0", nullptr), "minimum"},
      {bounded_manifest("number", nullptr, true), "maximum"},
      {bounded_manifest("number", json::array({1}), nullptr), "minimum"},
      {bounded_manifest("number", 5, 4), "maximum"},               // min > max
      {bounded_manifest("integer", 0.5, 0.25), "maximum"},         // min > max
      {bounded_manifest("number", HUGE_VAL, nullptr), "minimum"},  // only C++ can build these
      {bounded_manifest("number", nullptr, -HUGE_VAL), "maximum"},
      {bounded_manifest("number", std::nan(""), 1), "minimum"},
      {bounded_manifest("string", 0, 10), "minimum"},  // bounds on a type that is no number
      {bounded_manifest("any", nullptr, 10), "maximum"},
      {bounded_manifest("array", 1, nullptr), "minimum"},
  };
  for (const auto& c : cases) {
    auto [code, message] = manifest_error(c.manifest);
    INFO(c.manifest.dump() << " -> " << message);
    CHECK(code == ErrorCode::INVALID_MANIFEST);
    CHECK(message.find(at + c.path + ": expected ") != std::string::npos);
    CHECK(message.find(" but received ") != std::string::npos);
  }
}

TEST_CASE("validate_params refuses values outside the bounds and accepts the bounds themselves",
          "[manifest][params][bounds]") {
  ActionSpec number_action = parse_manifest(bounded_manifest("number", -1.5, 2.5)).actions[0];
  for (json good : {json(-1.5), json(0), json(2), json(2.5), json(-1)}) {
    INFO("accepts " << good.dump());
    CHECK(params_error_of(number_action, {{"count", good}}).first == ErrorCode::OK);
  }
  for (json bad : {json(-1.5000001), json(2.5000001), json(3), json(-2), json(1e300), json(-1e300),
                   json(std::numeric_limits<std::uint64_t>::max())}) {
    auto [code, message] = params_error_of(number_action, {{"count", bad}});
    INFO("refuses " << bad.dump() << " -> " << message);
    CHECK(code == ErrorCode::INVALID_PARAMS);
    CHECK(
        message.find("params.count: expected a number from -1.5 to 2.5 but received the number ") !=
        std::string::npos);
  }

  ActionSpec at_least = parse_manifest(bounded_manifest("integer", 0, nullptr)).actions[0];
  CHECK(params_error_of(at_least, {{"count", 0}}).first == ErrorCode::OK);
  CHECK(params_error_of(at_least, {{"count", 4'000'000'000LL}}).first == ErrorCode::OK);
  auto below = params_error_of(at_least, {{"count", -1}});
  CHECK(below.first == ErrorCode::INVALID_PARAMS);
  CHECK(below.second.find(
            "params.count: expected an integer of at least 0 but received the number -1") !=
        std::string::npos);

  ActionSpec at_most = parse_manifest(bounded_manifest("integer", nullptr, 0.00025)).actions[0];
  CHECK(params_error_of(at_most, {{"count", 0}}).first == ErrorCode::OK);
  auto above = params_error_of(at_most, {{"count", 1}});
  CHECK(above.first == ErrorCode::INVALID_PARAMS);
  CHECK(above.second.find("expected an integer of at most 0.00025 but received the number 1") !=
        std::string::npos);

  // The type is checked first: a string is refused for its type, not its range.
  auto typed = params_error_of(number_action, {{"count", "1"}});
  CHECK(typed.first == ErrorCode::INVALID_PARAMS);
  CHECK(typed.second.find("a value of type number") != std::string::npos);
}
