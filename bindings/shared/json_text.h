// Reads params that crossed from JavaScript as JSON text (JSON.stringify's output) into the
// same nlohmann::json the addon's value-by-value conversion builds. Crossing as text is one
// N-API call instead of several per property; nlohmann's own parser was too slow for it
// (about 4,800 instructions for {"a":4,"b":6}).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace threadbank::views {

/// @brief Parses JSON text with the conversion's rules: whole numbers smaller than 2^53 in
/// magnitude become integers and every other number a double; an escaped lone surrogate
/// becomes U+FFFD (as V8's UTF-8 conversion makes it); a repeated key keeps its last value.
/// Throws Error(INVALID_PARAMS) for text that is not JSON or nests deeper than 64 levels.
nlohmann::json parse_json_text(std::string_view text);

}  // namespace threadbank::views
