#pragma once
// Conversions between JS values and the core's plain C++ values. Runs on the JS thread
// only; nothing here is ever touched by a worker thread.

#include <napi.h>

#include <nlohmann/json.hpp>

#include "threadbank/engine.h"

namespace threadbank::node {

/// Converts a JS value to JSON. Throws threadbank::Error(INVALID_PARAMS) for values that
/// cannot cross (functions, symbols, BigInt, cycles, nesting deeper than 64).
nlohmann::json to_json(const Napi::Value& value, const char* what);
Napi::Value from_json(Napi::Env env, const nlohmann::json& value);
/// A JS string as UTF-8, read through a stack buffer first (one N-API call when it fits).
std::string utf8_text(const Napi::Value& value);

/// The thrown JS error for a core error: a plain Error with `.code` set to "E_*".
Napi::Error to_js_error(Napi::Env env, const threadbank::Error& error);

/// The outbox as js/src/binding.ts's OutboxBatch: its numbers (a Float64Array), alone or in
/// [numbers, values, messages] when some settlement carries a value or a message.
Napi::Value outbox_to_js(Napi::Env env, Outbox& outbox);

}  // namespace threadbank::node
