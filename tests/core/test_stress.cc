// Several submitting threads and a native pool: every request settles exactly once and the
// counters add up. Sanitizer builds (THREADBANK_SANITIZER set) use fewer requests.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "threadbank/builtin_pack.h"
#include "threadbank/engine.h"

using namespace threadbank;

TEST_CASE("200k requests from 4 threads over 4 native workers each settle exactly once", "[stress]") {
  const int total = std::getenv("THREADBANK_SANITIZER") != nullptr ? 20'000 : 200'000;
  const int submitters = 4;
  auto handlers = std::make_shared<HandlerRegistry>();
  Manifest manifest;
  builtin_pack("basic", *handlers, &manifest);
  EngineConfig config;
  config.max_queue = 0;
  config.history_limit = 1'000;
  Engine engine(config, handlers);
  BankConfig bank;
  bank.id = "native";
  bank.kind = BankKind::NATIVE;
  bank.worker_count = 4;
  bank.manifest = manifest;
  engine.register_bank(bank);

  // Request ids are dense from 1, so a vector indexed by id counts settlements.
  std::vector<std::atomic<std::uint8_t>> settle_count(static_cast<std::size_t>(total) + 1);
  std::vector<std::int64_t> expected(static_cast<std::size_t>(total) + 1, -1);
  std::atomic<int> wrong_results{0};
  std::atomic<int> settled{0};
  std::mutex expected_mutex;

  std::atomic<bool> submitting{true};
  std::thread drainer([&] {
    Outbox out;
    while (submitting.load() || settled.load() < total) {
      engine.drain_outbox(out);
      for (const auto& s : out.settlements) {
        settle_count[s.request].fetch_add(1);
        std::int64_t want;
        {
          std::lock_guard<std::mutex> lock(expected_mutex);
          want = expected[s.request];
        }
        if (s.status != RequestStatus::COMPLETED || s.result.value("result", -2) != want) ++wrong_results;
        settled.fetch_add(1);
      }
      if (out.settlements.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });

  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < total; i += submitters) {
        SubmitSpec spec;
        spec.task = "add";
        spec.params = nlohmann::json{{"a", i}, {"b", t}};
        // Hold the lock across submit so the drainer never sees an id before its answer.
        std::lock_guard<std::mutex> lock(expected_mutex);
        RequestId id = engine.submit(std::move(spec));
        expected[id] = i + t;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  submitting = false;
  drainer.join();

  int never = 0, twice = 0;
  for (std::size_t id = 1; id < settle_count.size(); ++id) {
    never += settle_count[id].load() == 0;
    twice += settle_count[id].load() > 1;
  }
  CHECK(never == 0);
  CHECK(twice == 0);
  CHECK(wrong_results == 0);
  SystemMetrics m = engine.metrics();
  CHECK(m.total_requests == static_cast<std::uint64_t>(total));
  CHECK(m.finished[static_cast<int>(RequestStatus::COMPLETED)] == static_cast<std::uint64_t>(total));
  CHECK(m.pending == 0);
  CHECK(m.in_flight == 0);
  std::uint64_t per_worker = 0;
  for (const auto& w : engine.worker_status()) per_worker += w.tasks_completed;
  CHECK(per_worker == static_cast<std::uint64_t>(total));
  CHECK(m.stored_requests == 1'000);  // the history bound holds under load
}
