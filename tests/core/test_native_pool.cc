// Native banks: the basic pack on real threads, repeated for 1, 2 and 4 workers.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "threadbank/builtin_pack.h"
#include "threadbank/engine.h"

using namespace threadbank;

namespace {

/// A native engine plus a way to wait for settlements.
struct NativeHarness {
  std::shared_ptr<HandlerRegistry> handlers = std::make_shared<HandlerRegistry>();
  std::unique_ptr<Engine> engine;
  std::mutex mutex;
  std::condition_variable signal;
  std::map<RequestId, Settlement> settled;

  explicit NativeHarness(int workers, EngineConfig config = {}) {
    Manifest manifest;
    builtin_pack("basic", *handlers, &manifest);
    engine = std::make_unique<Engine>(config, handlers);
    engine->set_outbox_listener([this] {
      std::lock_guard<std::mutex> lock(mutex);
      signal.notify_all();
    });
    BankConfig bank;
    bank.id = "native";
    bank.kind = BankKind::NATIVE;
    bank.worker_count = workers;
    bank.manifest = manifest;
    engine->register_bank(bank);
  }

  RequestId submit(const std::string& task, nlohmann::json params, std::optional<std::int64_t> timeout = {}) {
    SubmitSpec spec;
    spec.task = task;
    spec.params = std::move(params);
    spec.timeout_ms = timeout;
    return engine->submit(std::move(spec));
  }

  Settlement wait(RequestId id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      Outbox out;
      lock.unlock();
      engine->drain_outbox(out);
      lock.lock();
      for (auto& s : out.settlements) settled[s.request] = std::move(s);
      auto it = settled.find(id);
      if (it != settled.end()) return it->second;
      if (std::chrono::steady_clock::now() > deadline) FAIL("request " << id << " did not settle");
      signal.wait_for(lock, std::chrono::milliseconds(10));
    }
  }
};

}  // namespace

TEST_CASE("native actions return their results", "[native]") {
  int workers = GENERATE(1, 2, 4);
  NativeHarness h(workers);
  auto id = h.submit("add", {{"a", 4}, {"b", 6}});
  Settlement s = h.wait(id);
  CHECK(s.status == RequestStatus::COMPLETED);
  CHECK(s.result == nlohmann::json{{"result", 10}});
  auto echo = h.submit("echo", {{"text", "hi"}, {"list", {1, 2, 3}}});
  CHECK(h.wait(echo).result == nlohmann::json{{"text", "hi"}, {"list", {1, 2, 3}}});
}

TEST_CASE("a throwing native handler fails with E_HANDLER and its message", "[native]") {
  NativeHarness h(2);
  SubmitSpec spec;
  spec.task = "fail";
  spec.params = nlohmann::json{{"message", "boom"}};
  spec.retries = 0;
  auto id = h.engine->submit(spec);
  Settlement s = h.wait(id);
  CHECK(s.status == RequestStatus::FAILED);
  CHECK(s.error == ErrorCode::HANDLER);
  CHECK(s.message == "boom");
}

TEST_CASE("cancelling or timing out a running native handler makes cancelled() true", "[native]") {
  int workers = GENERATE(1, 2);
  NativeHarness h(workers);
  auto start = std::chrono::steady_clock::now();
  auto timed = h.submit("sleep", {{"ms", 10'000}}, 20);
  CHECK(h.wait(timed).error == ErrorCode::TIMEOUT);
  auto cancelled = h.submit("sleep", {{"ms", 10'000}});
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(h.engine->cancel(cancelled));
  CHECK(h.wait(cancelled).status == RequestStatus::CANCELLED);
  // Both handlers noticed and returned, so the bank runs new work promptly.
  auto next = h.submit("add", {{"a", 1}, {"b", 1}});
  CHECK(h.wait(next).status == RequestStatus::COMPLETED);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("work spreads over every native thread", "[native]") {
  int workers = GENERATE(2, 4);
  NativeHarness h(workers);
  std::vector<RequestId> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(h.submit("sleep", {{"ms", 2}}));
  for (auto id : ids) h.wait(id);
  for (const auto& w : h.engine->worker_status()) CHECK(w.tasks_completed > 0);
}

TEST_CASE("native banks need a handler for every action", "[native]") {
  Engine engine(EngineConfig{}, std::make_shared<HandlerRegistry>());
  BankConfig bank;
  bank.id = "n";
  bank.kind = BankKind::NATIVE;
  bank.manifest = basic_pack_manifest();
  try {
    engine.register_bank(bank);
    FAIL("expected E_INVALID_MANIFEST");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::INVALID_MANIFEST);
  }
}
