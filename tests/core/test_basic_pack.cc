// The basic pack: its manifest bounds every number a handler casts, so an out-of-range
// value is refused at submit, and the handlers themselves never cast out of range.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine_fixture.h"
#include "threadbank/builtin_pack.h"

using namespace threadbank;
using nlohmann::json;
using threadbank::testing::code_of;

namespace {

// A native bank over the basic pack, run by hand: no native threads and no timer thread,
// so nothing runs until run_native() and the test sees every settlement.
struct BasicBank {
  std::shared_ptr<HandlerRegistry> handlers = std::make_shared<HandlerRegistry>();
  std::unique_ptr<Engine> engine;

  BasicBank() {
    Manifest manifest;
    REQUIRE(builtin_pack("basic", *handlers, &manifest));
    EngineConfig config;
    config.native_threads = false;
    config.timer_thread = false;
    engine = std::make_unique<Engine>(config, handlers);
    BankConfig bank;
    bank.id = "native";
    bank.kind = BankKind::NATIVE;
    bank.worker_count = 1;
    bank.manifest = manifest;
    engine->register_bank(bank);
  }

  ErrorCode submit_code(const std::string& task, const json& params) {
    return code_of([&] {
      SubmitSpec spec;
      spec.task = task;
      spec.params = params;
      engine->submit(spec);
    });
  }

  /// Runs everything submitted and returns the settlements.
  std::vector<Settlement> run_all() {
    while (engine->run_native(100) > 0) {
    }
    Outbox out;
    engine->drain_outbox(out);
    return out.settlements;
  }
};

std::string submit_message(Engine& engine, const std::string& task, const json& params) {
  try {
    SubmitSpec spec;
    spec.task = task;
    spec.params = params;
    engine.submit(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Calls a handler directly, as a registry paired with some other manifest would.
ErrorCode handler_code(const HandlerRegistry& handlers, const std::string& name,
                       const json& params) {
  auto handler = handlers.find(name);
  REQUIRE(handler != nullptr);
  std::atomic<bool> cancelled{true};  // a sleep that gets through returns at once
  TaskContext ctx(&cancelled);
  return code_of([&] { (*handler)(params, ctx); });
}

}  // namespace

TEST_CASE("basic pack: sleep and burn refuse out-of-range numbers at submit",
          "[basic_pack][params]") {
  BasicBank b;
  CHECK(b.submit_code("sleep", {{"ms", 1e300}}) == ErrorCode::INVALID_PARAMS);
  CHECK(b.submit_code("sleep", {{"ms", -1}}) == ErrorCode::INVALID_PARAMS);
  CHECK(b.submit_code("sleep", {{"ms", SLEEP_MAX_MS + 1}}) == ErrorCode::INVALID_PARAMS);
  CHECK(b.submit_code("burn", {{"iterations", -1}}) == ErrorCode::INVALID_PARAMS);
  CHECK(b.submit_code("burn", {{"iterations", BURN_MAX_ITERATIONS + 1}}) ==
        ErrorCode::INVALID_PARAMS);
  CHECK(b.submit_code("burn", {{"iterations", std::numeric_limits<std::uint64_t>::max()}}) ==
        ErrorCode::INVALID_PARAMS);
  // Nothing was queued.
  SystemMetrics m = b.engine->metrics();
  CHECK(m.total_requests == 0);
  CHECK(m.pending == 0);
  CHECK(m.in_flight == 0);
  // The message names the param, the range and what was received.
  std::string message = submit_message(*b.engine, "sleep", {{"ms", 1e300}});
  CHECK(message.find(
            "params.ms: expected a number from 0 to 3600000 but received the number 1e+300") !=
        std::string::npos);
}

TEST_CASE("basic pack: the bounds themselves are accepted and run", "[basic_pack][params]") {
  BasicBank b;
  CHECK(b.submit_code("sleep", {{"ms", 0}}) == ErrorCode::OK);
  CHECK(b.submit_code("burn", {{"iterations", 0}}) == ErrorCode::OK);
  CHECK(b.submit_code("burn", {{"iterations", 1000}}) == ErrorCode::OK);
  auto settled = b.run_all();
  REQUIRE(settled.size() == 3);
  for (const auto& s : settled) CHECK(s.status == RequestStatus::COMPLETED);
  // The upper bounds pass validation (not run: they take long on purpose).
  Manifest manifest = basic_pack_manifest();
  CHECK_NOTHROW(validate_params(*manifest.find_action("sleep"), {{"ms", SLEEP_MAX_MS}}));
  CHECK_NOTHROW(
      validate_params(*manifest.find_action("burn"), {{"iterations", BURN_MAX_ITERATIONS}}));
}

TEST_CASE("basic pack: handlers check their numbers before casting, whatever the manifest",
          "[basic_pack][params]") {
  HandlerRegistry handlers;
  register_basic_pack(handlers);
  CHECK(handler_code(handlers, "sleep", {{"ms", 1e300}}) == ErrorCode::INVALID_PARAMS);
  CHECK(handler_code(handlers, "sleep", {{"ms", -5}}) == ErrorCode::INVALID_PARAMS);
  CHECK(handler_code(handlers, "burn", {{"iterations", -1}}) == ErrorCode::INVALID_PARAMS);
  CHECK(handler_code(handlers, "burn", {{"iterations", 1e300}}) == ErrorCode::INVALID_PARAMS);
  CHECK(handler_code(handlers, "sleep", {{"ms", 5}}) == ErrorCode::OK);
  CHECK(handler_code(handlers, "burn", {{"iterations", 10}}) == ErrorCode::OK);
}

TEST_CASE("basic pack: add past int64 answers the sum in doubles, not a wrapped integer",
          "[basic_pack]") {
  BasicBank b;
  constexpr auto MAX = std::numeric_limits<std::int64_t>::max();
  REQUIRE(b.submit_code("add", {{"a", MAX}, {"b", 1}}) == ErrorCode::OK);
  REQUIRE(b.submit_code("add", {{"a", std::numeric_limits<std::uint64_t>::max()}, {"b", 0}}) ==
          ErrorCode::OK);
  REQUIRE(b.submit_code("add", {{"a", 4}, {"b", 6}}) == ErrorCode::OK);
  auto settled = b.run_all();
  REQUIRE(settled.size() == 3);
  const json& past = settled[0].result.at("result");
  CHECK(past.is_number_float());
  CHECK(past.get<double>() == static_cast<double>(MAX) + 1);
  const json& unsigned_max = settled[1].result.at("result");
  CHECK(unsigned_max.get<double>() ==
        static_cast<double>(std::numeric_limits<std::uint64_t>::max()));
  CHECK(settled[2].result.at("result") == json(10));
  CHECK(settled[2].result.at("result").is_number_integer());
}
