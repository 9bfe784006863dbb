// libFuzzer target: params from anywhere, checked against a manifest with every parameter
// type, must be accepted or fail with E_INVALID_PARAMS, never crash or throw otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto params = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded()) return 0;
  try {
    threadbank::validate_params(every_type(), params);
  } catch (const threadbank::Error& error) {
    if (error.code() != threadbank::ErrorCode::INVALID_PARAMS) std::abort();
  }
  return 0;
}
