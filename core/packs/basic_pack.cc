// The "basic" pack: the smallest useful native actions. Tests, benchmarks and the demo use
// them to exercise scheduling without depending on real workloads.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "threadbank/builtin_pack.h"
#include "threadbank/error.h"

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

// {key: value}. Built directly: a braced initializer list makes nlohmann build and inspect
// a temporary array per pair first, which cost more than the rest of `add` together.
json one_field(const char* key, json value) {
  json out(json::value_t::object);
  out.emplace(key, std::move(value));
  return out;
}

json add(const json& params, TaskContext&) {
  // Integers stay integers so {a:4,b:6} answers {result:10}, not 10.0.
  auto a = params.find("a");
  auto b = params.find("b");
  if (a != params.end() && b != params.end() && a->is_number_integer() && b->is_number_integer()) {
    return one_field("result", a->get<std::int64_t>() + b->get<std::int64_t>());
  }
  return one_field("result", number_param(params, "a") + number_param(params, "b"));
}

json sleep_ms(const json& params, TaskContext& ctx) {
  auto ms = static_cast<std::int64_t>(number_param(params, "ms"));
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
  auto iterations = static_cast<std::uint64_t>(number_param(params, "iterations"));
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
         {"description", "waits ms milliseconds (stops early when cancelled)"},
         {"parameters", {param("ms", "number", true)}}},
        {{"actionId", "fail"},
         {"description", "throws an error with the given message"},
         {"parameters", {param("message", "string", false)}},
         {"retryable", true}},
        {{"actionId", "burn"},
         {"description", "spins the CPU for the given number of iterations"},
         {"parameters", {param("iterations", "integer", true)}}}}}};
  return parse_manifest(manifest);
}

bool builtin_pack(const std::string& name, HandlerRegistry& registry, Manifest* manifest) {
  if (name != "basic") return false;
  register_basic_pack(registry);
  *manifest = basic_pack_manifest();
  return true;
}

}  // namespace threadbank
