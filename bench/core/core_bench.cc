// Micro-benchmarks of the core alone (no binding, no JavaScript):
//  - lifecycle: submit + assign + complete + settle of one request, script bank, one thread;
//  - queued_bytes: heap bytes per request held in a queue;
//  - native_throughput: requests per second through a native bank's threads.
// Run: npm run bench:core   (or ./build/release/threadbank_bench)
#include <malloc.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <benchmark/benchmark.h>

#include "threadbank/builtin_pack.h"
#include "threadbank/engine.h"

using namespace threadbank;

namespace {

Manifest one_action(const char* id) {
  Manifest m;
  m.name = "bench";
  m.version = "1.0.0";
  m.actions.push_back(ActionSpec{id, "", {}, false, std::nullopt, 0, ""});
  return m;
}

EngineConfig quiet_config() {
  EngineConfig config;
  config.timer_thread = false;
  config.max_queue = 0;
  config.history_limit = 1024;
  return config;
}

void lifecycle(benchmark::State& state) {
  Engine engine(quiet_config());
  BankConfig bank;
  bank.id = "b";
  bank.manifest = one_action("add");
  bank.worker_count = 2;
  engine.register_bank(bank);
  Outbox out;
  SubmitSpec spec;
  spec.task = "add";
  for (auto _ : state) {
    engine.submit(spec);
    engine.drain_outbox(out);
    for (const Dispatch& d : out.dispatches) {
      engine.complete(d.request, d.attempt, d.bank, d.worker, Outcome{});
    }
    engine.drain_outbox(out);
    benchmark::DoNotOptimize(out.settlements.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(lifecycle);

void queued_bytes(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  double bytes_per_request = 0;
  for (auto _ : state) {
    Engine engine(quiet_config());
    BankConfig bank;
    bank.id = "b";
    bank.manifest = one_action("add");
    engine.register_bank(bank);
    engine.pause_bank("b");
    SubmitSpec spec;
    spec.task = "add";
    spec.client = "ui";
    engine.submit(spec);  // warm the interning tables
    auto before = mallinfo2().uordblks;
    for (std::size_t i = 0; i < n; ++i) engine.submit(spec);
    auto after = mallinfo2().uordblks;
    bytes_per_request = static_cast<double>(after - before) / static_cast<double>(n);
  }
  state.counters["bytes_per_queued_request"] = bytes_per_request;
}
BENCHMARK(queued_bytes)->Arg(100'000)->Iterations(1)->Unit(benchmark::kMillisecond);

void native_throughput(benchmark::State& state) {
  auto handlers = std::make_shared<HandlerRegistry>();
  Manifest manifest;
  builtin_pack("basic", *handlers, &manifest);
  const int total = static_cast<int>(state.range(0));
  for (auto _ : state) {
    EngineConfig config = quiet_config();
    Engine engine(config, handlers);
    BankConfig bank;
    bank.id = "native";
    bank.kind = BankKind::NATIVE;
    bank.manifest = manifest;
    bank.worker_count = 2;
    engine.register_bank(bank);
    std::mutex mutex;
    std::condition_variable done;
    std::atomic<int> settled{0};
    Outbox out;
    engine.set_outbox_listener([&] {
      std::lock_guard<std::mutex> lock(mutex);
      done.notify_one();
    });
    for (int i = 0; i < total; ++i) {
      SubmitSpec spec;
      spec.task = "add";
      spec.params = nlohmann::json{{"a", 4}, {"b", 6}};
      engine.submit(std::move(spec));
    }
    std::unique_lock<std::mutex> lock(mutex);
    while (settled < total) {
      lock.unlock();
      engine.drain_outbox(out);
      settled += static_cast<int>(out.settlements.size());
      lock.lock();
      if (settled < total) done.wait_for(lock, std::chrono::milliseconds(5));
    }
    lock.unlock();
    engine.set_outbox_listener(nullptr);  // it touches mutex/done, which die first
  }
  state.SetItemsProcessed(state.iterations() * total);
}
BENCHMARK(native_throughput)->Arg(200'000)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
