// The "basic" pack: the smallest useful native actions. Tests, benchmarks and the demo use
// them to exercise scheduling without depending on real workloads.
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "threadbank/builtin_pack.h"
#include "threadbank/error.h"
#include "threadbank/number_text.h"

namespace threadbank {
namespace {

using nlohmann::json;

double number_param(const json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end() || !it->is_number()) {
    throw Error(ErrorCode::INVALID_PARAMS,
                std::string("expected a number for params.") + name + " but received " +
                    (it == params.end() ? std::string("nothing") : describe_json_type(*it)));
  }
  return it->get<double>();
}

// The manifest refuses out-of-range values at submit. The handlers check again before
// casting, because a cast from a double out of the target's range is undefined behaviour
// and register_basic_pack() may be paired with another manifest.
double bounded_param(const json& params, const char* name, double min, double max) {
  double value = number_param(params, name);
  if (!(value >= min && value <= max)) {
    throw Error(ErrorCode::INVALID_PARAMS,
                std::string("expected a number from ") + shortest_number(min) + " to " +
                    shortest_number(max) + " for params." + name + " but received " +
                    describe_json_type(params.at(name)));
  }
  return value;
}

// An integer JSON value that fits int64 (nlohmann keeps large positives as uint64).
bool int64_value(const json& value, std::int64_t* out) {
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    *out = static_cast<std::int64_t>(u);
    return true;
  }
  if (!value.is_number_integer()) return false;
  *out = value.get<std::int64_t>();
  return true;
}

// {key: value}. Built directly: a braced initializer list makes nlohmann build and inspect
// a temporary array per pair first, which cost more than the rest of `add` together.
json one_field(const char* key, json value) {
  json out(json::value_t::object);
  out.emplace(key, std::move(value));
  return out;
}

json add(const json& params, TaskContext&) {
  // Integers stay integers so {a:4,b:6} answers {result:10}, not 10.0; a sum past int64
  // (signed overflow is undefined) is computed in doubles like any other number.
  auto a = params.find("a");
  auto b = params.find("b");
  std::int64_t x = 0, y = 0, sum = 0;
  if (a != params.end() && b != params.end() && int64_value(*a, &x) && int64_value(*b, &y) &&
      !__builtin_add_overflow(x, y, &sum)) {
    return one_field("result", sum);
  }
  return one_field("result", number_param(params, "a") + number_param(params, "b"));
}

json sleep_ms(const json& params, TaskContext& ctx) {
  auto ms = static_cast<std::int64_t>(bounded_param(params, "ms", 0, SLEEP_MAX_MS));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  // Sleep in slices so a cancelled or timed-out request frees its thread promptly.
  while (std::chrono::steady_clock::now() < deadline) {
    if (ctx.cancelled()) return one_field("slept", false);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return one_field("slept", ms);
}

json fail(const json& params, TaskContext&) {
  auto it = params.find("message");
  throw std::runtime_error(it != params.end() && it->is_string() ? it->get<std::string>()
                                                                 : "failed on purpose");
}

json burn(const json& params, TaskContext& ctx) {
  auto iterations =
      static_cast<std::uint64_t>(bounded_param(params, "iterations", 0, BURN_MAX_ITERATIONS));
  // xorshift: cheap, data-dependent work the optimizer cannot remove.
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if ((i & 0xFFFFF) == 0 && ctx.cancelled()) break;
  }
  return one_field("value", x & 0xFFFFFFFFu);
}

json param(const char* name, const char* type, bool required) {
  return {{"name", name}, {"type", type}, {"required", required}};
}

json bounded(const char* name, const char* type, double minimum, double maximum) {
  json out = param(name, type, true);
  out["minimum"] = minimum;
  out["maximum"] = maximum;
  return out;
}

}  // namespace

void register_basic_pack(HandlerRegistry& registry) {
  registry.add("echo", [](const json& params, TaskContext&) { return params; });
  registry.add("add", add);
  registry.add("sleep", sleep_ms);
  registry.add("fail", fail);
  registry.add("burn", burn);
}

Manifest basic_pack_manifest() {
  json manifest = {
      {"name", "basic"},
      {"version", "1.0.0"},
      {"actions",
       {{{"actionId", "echo"}, {"description", "returns its params"}},
        {{"actionId", "add"},
         {"description", "adds a and b"},
         {"parameters", {param("a", "number", true), param("b", "number", true)}},
         {"responseType", "{result:number}"}},
        {{"actionId", "sleep"},
         {"description", "waits ms milliseconds, at most an hour (stops early when cancelled)"},
         {"parameters", {bounded("ms", "number", 0, SLEEP_MAX_MS)}}},
        {{"actionId", "fail"},
         {"description", "throws an error with the given message"},
         {"parameters", {param("message", "string", false)}},
         {"retryable", true}},
        {{"actionId", "burn"},
         {"description", "spins the CPU for the given number of iterations, at most 1e10"},
         {"parameters", {bounded("iterations", "integer", 0, BURN_MAX_ITERATIONS)}}}}}};
  return parse_manifest(manifest);
}

bool builtin_pack(const std::string& name, HandlerRegistry& registry, Manifest* manifest) {
  if (name != "basic") return false;
  register_basic_pack(registry);
  *manifest = basic_pack_manifest();
  return true;
}

}  // namespace threadbank
