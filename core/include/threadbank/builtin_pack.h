#pragma once
/// @file builtin_pack.h
/// @brief The "basic" native pack: tiny actions used by tests, benchmarks and the demo.

#include <string>

#include "threadbank/handlers.h"
#include "threadbank/manifest.h"

namespace threadbank {

/// @brief Registers echo, add, sleep, fail and burn into `registry`.
void register_basic_pack(HandlerRegistry& registry);

/// @brief The manifest describing the basic pack's actions.
Manifest basic_pack_manifest();

/// @brief Names of the built-in packs, for `builtin: "<name>"` banks.
bool builtin_pack(const std::string& name, HandlerRegistry& registry, Manifest* manifest);

}  // namespace threadbank
