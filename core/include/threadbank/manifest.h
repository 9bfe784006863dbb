#pragma once
/// @file manifest.h
/// @brief A bank's capabilities: the actions its workers can perform, with typed
/// parameters. Parsed from JSON and validated; every error names the field at fault.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace threadbank {

/// @brief The JSON types a parameter may declare.
enum class ParamType : std::uint8_t { ANY, STRING, NUMBER, INTEGER, BOOLEAN, OBJECT, ARRAY, BINARY };

/// @brief "string", "number", ... as written in manifests.
const char* param_type_name(ParamType type) noexcept;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::ANY;
  bool required = false;
  std::string description;
  /// Inclusive bounds, allowed on number and integer parameters only. Finite, and
  /// minimum <= maximum when both are given. Native handlers rely on them to cast safely.
  std::optional<double> minimum = std::nullopt;
  std::optional<double> maximum = std::nullopt;
};

struct ActionSpec {
  std::string id;  ///< the task id requests name (`submitRequest(id, ...)`)
  std::string description;
  std::vector<ParamSpec> parameters;
  bool retryable = false;
  std::optional<std::int64_t> timeout_ms;  ///< per-attempt timeout; falls back to the manifest's
  std::int64_t estimated_duration_ms = 0;  ///< seeds the fastest-expected balancer
  std::string response_type;
};

struct Manifest {
  std::string name;
  std::string version;
  std::vector<ActionSpec> actions;
  int max_concurrent_tasks = 1;  ///< per worker
  std::optional<std::int64_t> default_timeout_ms;

  /// @brief The action with this id, or nullptr.
  const ActionSpec* find_action(const std::string& id) const noexcept;
};

/// @brief Parses and validates a manifest. Throws Error(INVALID_MANIFEST) naming the field,
/// e.g. "actions[2].parameters[0].type: expected one of string, number, ... but received \"str\"".
Manifest parse_manifest(const nlohmann::json& json);

/// @brief Same, from JSON text (also rejects text that is not JSON).
Manifest parse_manifest_text(const std::string& text);

/// @brief The manifest as JSON (what parse_manifest accepts).
nlohmann::json manifest_to_json(const Manifest& manifest);

/// @brief Checks params against an action's declared parameters (type, then bounds). An
/// action with no declared parameters accepts any object. Throws Error(INVALID_PARAMS)
/// naming the parameter, what was expected and what was received, e.g.
/// "params.ms: expected a number from 0 to 3600000 but received the number 1e+300".
void validate_params(const ActionSpec& action, const nlohmann::json& params);

/// @brief A short description of a JSON value's type for messages ("a string", "null").
std::string describe_json_type(const nlohmann::json& value);

}  // namespace threadbank
