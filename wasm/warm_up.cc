// V8 compiles a wasm function on its first call, on the thread that calls it (lazy
// compilation), and the code serves every thread of the module. A fresh page's first
// manager compiled the core's create, submit, dispatch and settle paths in main-thread tasks
// of 15-57 ms (Chrome traces; with --no-wasm-lazy-compilation those tasks went away). This
// thread makes the same calls on a scratch engine first, so the page's calls find them
// compiled. Only the embind glue and JavaScript are left for the main thread.
#include "warm_up.h"

#include <emscripten/emscripten.h>
#include <emscripten/threading.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "views.h"
#include "wasm_engine.h"

namespace threadbank::wasm {
namespace {

// What the adapter's warm-up bank (js/src/warm-up.ts) declares: one action whose params
// cross into the core, one whose params stay in JS.
constexpr const char* kBank =
    R"({"id":"warm-up","kind":"script","workerCount":1,"strategy":"least-loaded","concurrency":0,"prefetch":"auto",)"
    R"("starting":[],"manifest":{"name":"warm-up","actions":[)"
    R"({"actionId":"typed","parameters":[{"name":"a","type":"number","required":true}]},{"actionId":"untyped"}]}})";

/// Appends `what` failed and why when `engine` kept an error.
void check(WasmEngine& engine, const char* what, std::string& failures) {
  std::string error = engine.error();
  if (!error.empty()) failures += std::string(what) + ": " + error + "\n";
}

std::string run_warm_up() {
  std::string failures;
  // Manual time: no timer thread. Id 0: JS listens for no engine of that id.
  WasmEngine engine(R"({"manualClock":true})", 0);
  check(engine, "create", failures);
  const int bank = engine.register_bank(kBank);
  check(engine, "registerBank", failures);
  engine.register_task("warm-up-alias", "warm-up", "typed");
  check(engine, "registerTask", failures);
  engine.set_event_mask(~0);

  // Two submits in one batch, as submitMany joins them: names and params '\0'-separated.
  const std::string tasks = std::string("typed") + '\0' + "untyped";
  const std::string params = std::string(R"({"a":4})") + '\0';
  const std::vector<double> numbers = {-1, 0, -1, -1, 0, -1, 0, -1, -1, 0};
  std::vector<double> ids = engine.submit_batch(tasks, params, numbers, "", "", false);
  check(engine, "submitMany", failures);
  if (const std::string refused = engine.submit_errors(); !refused.empty()) failures += "submitMany refused: " + refused + "\n";

  // The dispatches, read as the adapter reads them; each started, one succeeds, one fails.
  const std::string dispatched = engine.drain();
  check(engine, "drain", failures);
  if (!dispatched.empty()) {
    const json box = json::parse(dispatched);
    const json& n = box.at(0);
    const std::size_t dispatches = n.at(0).get<std::size_t>();
    if (dispatches != 2) failures += "drain: expected 2 dispatches but received " + std::to_string(dispatches) + "\n";
    std::vector<double> started;
    std::vector<double> results;
    std::string messages;  // one '\0'-separated segment per result: "" for the success
    for (std::size_t i = 0; i < dispatches; ++i) {
      const std::size_t at = views::OUTBOX_HEADER + i * views::DISPATCH_FIELDS;
      const double id = n.at(at).get<double>();
      const double attempt = n.at(at + 1).get<double>();
      started.insert(started.end(), {id, attempt});
      const double code = i == 0 ? 0 : static_cast<double>(ErrorCode::HANDLER);
      results.insert(results.end(), {id, attempt, code, 0.1, 0});
      if (i > 0) messages += std::string(1, '\0') + "warm-up failure";
    }
    engine.started_pairs(started);
    check(engine, "startedMany", failures);
    // One worker (workerCount 1) holds both: its results go back in one batch.
    const int worker = dispatches > 0 ? n.at(views::OUTBOX_HEADER + views::DISPATCH_WORKER).get<int>() : 0;
    engine.complete_batch(bank, worker, results, messages);
    check(engine, "completeMany", failures);
  } else {
    failures += "drain: the warm-up's submits were not dispatched\n";
  }
  engine.drain();
  check(engine, "drain settled", failures);

  // What a manager reads: status, metrics, the request history.
  engine.metrics();
  engine.worker_status();
  engine.banks();
  if (!ids.empty()) engine.request(ids[0]);
  engine.query(R"({"statuses":["completed","failed"],"limit":10,"offset":0,"sortBy":"submittedAt"})");
  check(engine, "read", failures);
  name_tables();

  engine.shutdown(false);
  engine.finished();
  engine.close();
  check(engine, "close", failures);
  return failures;
}

// Runs on the main runtime thread with the warm-up's outcome; frees the text.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdollar-in-identifier-extension"
void report_main(char* failures) {
  EM_ASM({ if (Module.threadbankWarmedUp) Module.threadbankWarmedUp(UTF8ToString($0)); }, failures);
  std::free(failures);
}
#pragma clang diagnostic pop

}  // namespace

bool warm_up_off_thread() {
  try {
    std::thread([] {
      std::string failures;
      try {
        failures = run_warm_up();
      } catch (const std::exception& e) {
        failures += std::string("warm-up: ") + e.what() + "\n";
      }
      char* text = static_cast<char*>(std::malloc(failures.size() + 1));
      if (text == nullptr) return;
      std::memcpy(text, failures.c_str(), failures.size() + 1);
      // Asynchronous: this thread never waits for the main thread.
      emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, &report_main, text);
    }).detach();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace threadbank::wasm
