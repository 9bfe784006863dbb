#pragma once
/// @file builtin_pack.h
/// @brief The "basic" native pack: tiny actions used by tests, benchmarks and the demo.

#include <string>

#include "threadbank/handlers.h"
#include "threadbank/manifest.h"

namespace threadbank {

/// @brief The longest `sleep` accepts, in ms (an hour): the manifest's maximum for `ms`.
inline constexpr double SLEEP_MAX_MS = 3'600'000;

/// @brief The most rounds `burn` accepts: the manifest's maximum for `iterations`. Large
/// enough for any benchmark, small enough that a burn ends, and exact as a double.
inline constexpr double BURN_MAX_ITERATIONS = 10'000'000'000;

/// @brief Registers echo, add, sleep, fail and burn into `registry`.
void register_basic_pack(HandlerRegistry& registry);

/// @brief The manifest describing the basic pack's actions.
Manifest basic_pack_manifest();

/// @brief Names of the built-in packs, for `builtin: "<name>"` banks.
bool builtin_pack(const std::string& name, HandlerRegistry& registry, Manifest* manifest);

}  // namespace threadbank
