// Runs exactly N request lifecycles (submit + assign + complete + settle, script bank, one
// thread: the body of core_bench's `lifecycle`), so that an instruction count divides
// exactly. Google Benchmark picks its own iteration counts (and runs the body a few times
// to pick them), which makes "instructions per lifecycle" from it an estimate only.
//
// bench/callgrind.sh runs this under `valgrind --tool=callgrind` with
// --toggle-collect on measured_lifecycles, so set-up and warm-up are not counted.
// Usage: lifecycle_count [N]   (default 100000)
#include <cstdio>
#include <cstdlib>

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

std::size_t run_lifecycles(Engine& engine, Outbox& out, const SubmitSpec& spec, long n) {
  std::size_t settled = 0;
  for (long i = 0; i < n; ++i) {
    engine.submit(spec);
    engine.drain_outbox(out);
    for (const Dispatch& d : out.dispatches) {
      engine.complete(d.request, d.attempt, d.bank, d.worker, Outcome{});
    }
    engine.drain_outbox(out);
    settled += out.settlements.size();
  }
  return settled;
}

}  // namespace

// Outside the anonymous namespace and never inlined: callgrind's --toggle-collect finds it
// by this name, and counts exactly what runs inside it.
__attribute__((noinline)) std::size_t measured_lifecycles(Engine& engine, Outbox& out, const SubmitSpec& spec,
                                                          long n) {
  return run_lifecycles(engine, out, spec, n);
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100'000;
  if (n <= 0) {
    std::fprintf(stderr, "Expected a positive number of lifecycles but received %s\n", argv[1]);
    return 2;
  }
  EngineConfig config;
  config.timer_thread = false;
  config.max_queue = 0;
  config.history_limit = 1024;
  Engine engine(config);
  BankConfig bank;
  bank.id = "b";
  bank.manifest = one_action("add");
  bank.worker_count = 2;
  engine.register_bank(bank);
  Outbox out;
  SubmitSpec spec;
  spec.task = "add";
  // Warm-up past the history limit, so the measured ones run in the steady state (interned
  // names, outbox capacity, the request store evicting as it inserts).
  run_lifecycles(engine, out, spec, 2 * static_cast<long>(config.history_limit));
  const std::size_t settled = measured_lifecycles(engine, out, spec, n);
  if (settled != static_cast<std::size_t>(n)) {
    std::fprintf(stderr, "Expected %ld settlements but saw %zu\n", n, settled);
    return 1;
  }
  std::printf("lifecycles: %ld\n", n);
  return 0;
}
