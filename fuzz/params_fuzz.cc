// libFuzzer target: params from anywhere, checked against a manifest with every parameter
// type, must be accepted or fail with E_INVALID_PARAMS, never crash or throw otherwise.
// The same bytes go through the addon's JSON text parser (bindings/shared/json_text.cc):
// it must return or fail with E_INVALID_PARAMS, and wherever nlohmann's parser accepts
// the text, both must read the same values.
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "threadbank/error.h"
#include "threadbank/manifest.h"

namespace {

const threadbank::ActionSpec& every_type() {
  static const threadbank::Manifest manifest = threadbank::parse_manifest(nlohmann::json::parse(R"({
    "name": "fuzz", "actions": [{ "actionId": "all", "parameters": [
      {"name": "s", "type": "string", "required": true},
      {"name": "n", "type": "number"}, {"name": "i", "type": "integer"},
      {"name": "b", "type": "boolean"}, {"name": "o", "type": "object"},
      {"name": "a", "type": "array"}, {"name": "x", "type": "binary"}, {"name": "y", "type": "any"}
    ]}]})"));
  return manifest.actions[0];
}

// Same value, numbers compared as doubles: the text parser makes whole numbers below 2^53
// integers where nlohmann keeps "1.0" a float, and both round a huge integer the same way.
bool same(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array() || a.is_object()) {
    if (a.size() != b.size()) return false;
    if (a.is_array()) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
      }
      return true;
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !same(it.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

bool finite_numbers(const nlohmann::json& value) {
  if (value.is_number_float()) return std::isfinite(value.get<double>());
  if (value.is_structured()) {
    for (const auto& item : value) {
      if (!finite_numbers(item)) return false;
    }
  }
  return true;
}

void check_text_parser(const std::uint8_t* data, std::size_t size, const nlohmann::json& reference) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json read;
  try {
    read = threadbank::views::parse_json_text(text);
  } catch (const threadbank::Error& error) {
    if (error.code() != threadbank::ErrorCode::INVALID_PARAMS) std::abort();
    // nlohmann has no depth limit (ours refuses past 64 levels) and takes a NUL byte as the
    // end of input (ours never sees one: the addon splits its texts there). Otherwise what
    // it accepts we accept.
    bool nul = text.find('\0') != std::string_view::npos;
    if (!reference.is_discarded() && !nul && std::string(error.what()).find("nested deeper") == std::string::npos) {
      std::abort();
    }
    return;
  }
  if (!reference.is_discarded() && finite_numbers(reference) && !same(read, reference)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto params = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  check_text_parser(data, size, params);
  if (params.is_discarded()) return 0;
  try {
    threadbank::validate_params(every_type(), params);
  } catch (const threadbank::Error& error) {
    if (error.code() != threadbank::ErrorCode::INVALID_PARAMS) std::abort();
  }
  return 0;
}
