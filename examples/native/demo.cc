// The native demo: a bank of native workers running the basic pack. Submits a few
// thousand mixed requests, draws a progress bar while they run, then prints worker
// status and system metrics. Run: npm run demo
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "threadbank/builtin_pack.h"
#include "threadbank/engine.h"

using namespace threadbank;

namespace {

void progress_bar(std::size_t done, std::size_t total) {
  constexpr int WIDTH = 40;
  int filled = static_cast<int>(WIDTH * done / (total ? total : 1));
  std::printf("\r  [");
  for (int i = 0; i < WIDTH; ++i) std::putchar(i < filled ? '#' : '.');
  std::printf("] %zu/%zu", done, total);
  std::fflush(stdout);
}

}  // namespace

int main() {
  auto handlers = std::make_shared<HandlerRegistry>();
  Manifest basic;
  builtin_pack("basic", *handlers, &basic);

  EngineConfig config;
  config.name = "demo";
  config.retry_base_ms = 5;
  Engine engine(config, handlers);
  BankConfig bank;
  bank.id = "basic";
  bank.kind = BankKind::NATIVE;
  bank.manifest = basic;
  bank.worker_count = 4;
  engine.register_bank(bank);

  constexpr std::size_t TOTAL = 5000;
  std::mt19937 random(42);
  std::printf("threadbank native demo: %zu requests on %d native workers\n", TOTAL, bank.worker_count);
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < TOTAL; ++i) {
    SubmitSpec spec;
    spec.priority = static_cast<int>(random() % 11);
    spec.client = i % 2 ? "batch" : "ui";
    switch (random() % 10) {
      case 0:
        spec.task = "burn";
        spec.params = nlohmann::json{{"iterations", 200'000}};
        break;
      case 1:
        spec.task = "fail";
        spec.params = nlohmann::json{{"message", "an expected failure"}};
        spec.retries = 1;
        break;
      case 2:
        spec.task = "sleep";
        spec.params = nlohmann::json{{"ms", 1}};
        break;
      default:
        spec.task = "add";
        spec.params = nlohmann::json{{"a", static_cast<int>(i)}, {"b", 1}};
    }
    engine.submit(std::move(spec));
  }

  Outbox out;
  std::size_t settled = 0;
  while (settled < TOTAL) {
    engine.drain_outbox(out);
    settled += out.settlements.size();
    progress_bar(settled, TOTAL);
    if (settled < TOTAL) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("\n  all %zu settled in %.1f ms\n\n", TOTAL, elapsed_ms);

  std::printf("  %-10s %8s %8s %10s %10s\n", "worker", "done", "failed", "busy ms", "idle ms");
  for (const auto& w : engine.worker_status()) {
    std::printf("  %-10s %8llu %8llu %10.1f %10.1f\n", w.worker_id.c_str(),
                static_cast<unsigned long long>(w.tasks_completed),
                static_cast<unsigned long long>(w.tasks_failed), w.busy_ns / 1e6, w.idle_ns / 1e6);
  }
  SystemMetrics m = engine.metrics();
  std::printf("\n  requests %llu  completed %llu  failed %llu  retries %llu  success %.1f%%\n",
              static_cast<unsigned long long>(m.total_requests),
              static_cast<unsigned long long>(m.finished[static_cast<int>(RequestStatus::COMPLETED)]),
              static_cast<unsigned long long>(m.finished[static_cast<int>(RequestStatus::FAILED)]),
              static_cast<unsigned long long>(m.retries), m.success_rate * 100);
  std::printf("  processing ms  mean %.3f  p50 %.3f  p95 %.3f  p99 %.3f\n", m.processing.mean_ms,
              m.processing.p50_ms, m.processing.p95_ms, m.processing.p99_ms);
  std::printf("  queue wait ms  mean %.3f  p50 %.3f  p95 %.3f  p99 %.3f\n", m.queue_wait.mean_ms,
              m.queue_wait.p50_ms, m.queue_wait.p95_ms, m.queue_wait.p99_ms);
  BalanceReport spread = engine.balance_report("basic");
  std::printf("  balance (%s): imbalance %.2f (1.00 is an even spread)\n",
              balance_strategy_name(spread.strategy), spread.imbalance);
  engine.shutdown(true);
  engine.wait_finished(10'000);
  return 0;
}
