// Load from several threads: 4 submitters, a native bank of 4 workers running `add`.
// Every request settles exactly once with the right result and the counters add up.
// Sanitizer builds (THREADBANK_SANITIZER set) use 20,000 requests instead of 200,000.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "threadbank/builtin_pack.h"
#include "threadbank/engine.h"

using namespace threadbank;

TEST_CASE("requests from 4 threads over 4 native workers each settle exactly once", "[stress]") {
  const int total = std::getenv("THREADBANK_SANITIZER") != nullptr ? 20'000 : 200'000;
  const int submitters = 4;
  const std::size_t history = 1'000;

  auto handlers = std::make_shared<HandlerRegistry>();
  register_basic_pack(*handlers);
  EngineConfig config;
  config.max_queue = 0;  // unbounded: the submitters outrun the workers on purpose
  config.history_limit = history;
  Engine engine(config, handlers);
  BankConfig bank;
  bank.id = "native";
  bank.kind = BankKind::NATIVE;
  bank.worker_count = 4;
  bank.manifest = basic_pack_manifest();
  engine.register_bank(bank);

  // The drainer wakes on the outbox listener (with a short fallback timeout).
  std::mutex wake_mutex;
  std::condition_variable wake;
  engine.set_outbox_listener([&] {
    std::lock_guard<std::mutex> lock(wake_mutex);
    wake.notify_one();
  });

  struct Seen {
    RequestId id;
    RequestStatus status;
    ErrorCode error;
    std::int64_t result;
  };
  std::vector<Seen> seen;
  seen.reserve(static_cast<std::size_t>(total));
  std::atomic<bool> submitting{true};
  std::atomic<int> submit_errors{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  bool timed_out = false;

  std::thread drainer([&] {
    Outbox out;
    for (;;) {
      engine.drain_outbox(out);
      for (const auto& s : out.settlements) {
        std::int64_t value = -1;
        if (s.result.is_object() && s.result.contains("result") &&
            s.result["result"].is_number_integer()) {
          value = s.result["result"].get<std::int64_t>();
        }
        seen.push_back(Seen{s.request, s.status, s.error, value});
      }
      if (!submitting.load() &&
          seen.size() >= static_cast<std::size_t>(total - submit_errors.load()))
        break;
      if (std::chrono::steady_clock::now() > deadline) {
        timed_out = true;
        break;
      }
      if (out.settlements.empty()) {
        std::unique_lock<std::mutex> lock(wake_mutex);
        wake.wait_for(lock, std::chrono::milliseconds(2));
      }
    }
  });

  // Each submitter remembers what it expects for the ids it got back.
  std::vector<std::vector<std::pair<RequestId, std::int64_t>>> expected(
      static_cast<std::size_t>(submitters));
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = expected[static_cast<std::size_t>(t)];
      mine.reserve(static_cast<std::size_t>(total / submitters + 1));
      for (int i = t; i < total; i += submitters) {
        SubmitSpec spec;
        spec.task = "add";
        spec.params = nlohmann::json{{"a", i}, {"b", 1'000'000 * (t + 1)}};
        try {
          RequestId id = engine.submit(std::move(spec));
          mine.emplace_back(id, std::int64_t{i} + 1'000'000 * (t + 1));
        } catch (const Error&) {
          ++submit_errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  submitting = false;
  drainer.join();
  REQUIRE_FALSE(timed_out);
  CHECK(submit_errors.load() == 0);

  // Exactly once, with the right result.
  std::unordered_map<RequestId, std::int64_t> want;
  want.reserve(static_cast<std::size_t>(total));
  int duplicate_ids = 0;
  for (const auto& list : expected) {
    for (const auto& [id, value] : list) duplicate_ids += want.emplace(id, value).second ? 0 : 1;
  }
  CHECK(duplicate_ids == 0);
  CHECK(want.size() == static_cast<std::size_t>(total));
  std::unordered_map<RequestId, int> settle_count;
  settle_count.reserve(static_cast<std::size_t>(total));
  int wrong = 0, unknown = 0, not_completed = 0;
  for (const auto& s : seen) {
    ++settle_count[s.id];
    auto it = want.find(s.id);
    if (it == want.end()) {
      ++unknown;
      continue;
    }
    if (s.status != RequestStatus::COMPLETED || s.error != ErrorCode::OK) ++not_completed;
    if (s.result != it->second) ++wrong;
  }
  int never = 0, twice = 0;
  for (const auto& [id, value] : want) {
    auto it = settle_count.find(id);
    if (it == settle_count.end()) {
      ++never;
    } else if (it->second > 1) {
      ++twice;
    }
  }
  CHECK(never == 0);
  CHECK(twice == 0);
  CHECK(unknown == 0);
  CHECK(not_completed == 0);
  CHECK(wrong == 0);

  // The counters add up and nothing is left.
  SystemMetrics m = engine.metrics();
  CHECK(m.total_requests == static_cast<std::uint64_t>(total));
  CHECK(m.finished[static_cast<std::size_t>(RequestStatus::COMPLETED)] ==
        static_cast<std::uint64_t>(total));
  std::uint64_t finished = std::accumulate(m.finished.begin(), m.finished.end(), std::uint64_t{0});
  CHECK(finished == static_cast<std::uint64_t>(total));
  CHECK(m.total_requests == finished + m.pending + m.in_flight);
  CHECK(m.pending == 0);
  CHECK(m.in_flight == 0);
  CHECK(m.rejected == 0);
  CHECK(m.retries == 0);
  CHECK(m.success_rate == Approx(1.0));
  CHECK(m.processing.count > 0);
  std::uint64_t per_worker = 0;
  for (const auto& w : engine.worker_status()) {
    per_worker += w.tasks_completed;
    CHECK(w.tasks_completed > 0);  // every worker took part
    CHECK(w.tasks_failed == 0);
    CHECK(w.inflight == 0);
  }
  CHECK(per_worker == static_cast<std::uint64_t>(total));
  RequestQuery live;
  live.statuses = {RequestStatus::PENDING, RequestStatus::ASSIGNED, RequestStatus::PROCESSING};
  CHECK(engine.query(live).total == 0);
  // Memory stays flat: only the newest `history` finished requests are kept.
  CHECK(m.stored_requests == history);

  engine.shutdown(true);
  CHECK(engine.wait_finished(1'000));
  // The listener touches wake/wake_mutex, which die before the engine: stop it first.
  engine.set_outbox_listener(nullptr);
}
