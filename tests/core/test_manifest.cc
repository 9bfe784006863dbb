// Manifest parsing and params validation: every error has the right code and names the
// field at fault.
#include <catch2/catch.hpp>

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
      {"actions[1].actionId", [](json& m) { m["actions"][1] = {{"actionId", "resize"}}; }},
      {"actions[0].timeout", [](json& m) { m["actions"][0]["timeout"] = -1; }},
      {"actions[0].timeout", [](json& m) { m["actions"][0]["timeout"] = 1.5; }},
      {"actions[0].retryable", [](json& m) { m["actions"][0]["retryable"] = "yes"; }},
      {"actions[0].parameters", [](json& m) { m["actions"][0]["parameters"] = 3; }},
      {"actions[0].parameters[0].type", [](json& m) { m["actions"][0]["parameters"][0]["type"] = "str"; }},
      {"actions[0].parameters[1].name", [](json& m) { m["actions"][0]["parameters"][1]["name"] = "width"; }},
      {"actions[0].parameters[0].name", [](json& m) { m["actions"][0]["parameters"][0]["name"] = "__proto__"; }},
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
  CHECK(params_error(json::parse(R"({"width": 1, "__proto__": {}})")).first == ErrorCode::INVALID_PARAMS);
  CHECK(params_error(json::parse(R"({"width": 1, "x": {"constructor": 1}})")).first == ErrorCode::INVALID_PARAMS);

  ActionSpec open;
  open.id = "open";
  CHECK_NOTHROW(validate_params(open, {{"anything", {1, 2}}}));

  SECTION("every type is checked") {
    struct TypeCase {
      ParamType type;
      json good, bad;
    };
    std::vector<TypeCase> cases = {{ParamType::STRING, "s", 1},           {ParamType::NUMBER, 1.5, "1"},
                                   {ParamType::INTEGER, 3, 3.5},           {ParamType::BOOLEAN, true, 0},
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
