// The embind binding: the only place JS names of the wasm module appear. The calls live in
// wasm_engine.h; the off-thread warm-up of pthread builds in warm_up.cc.
#include <emscripten/bind.h>

#include "wasm_engine.h"
#ifdef __EMSCRIPTEN_PTHREADS__
#include "warm_up.h"
#endif

namespace threadbank::wasm {

EMSCRIPTEN_BINDINGS(threadbank) {
  using emscripten::class_;
  class_<WasmEngine>("WasmEngine")
      .constructor<const std::string&, int>()
      .function("error", &WasmEngine::error)
      .function("registerBank", &WasmEngine::register_bank)
      .function("registerTask", &WasmEngine::register_task)
      .function("submit", &WasmEngine::submit)
      .function("submitMany", &WasmEngine::submit_many)
      .function("submitErrors", &WasmEngine::submit_errors)
      .function("completeMany", &WasmEngine::complete_many)
      .function("cancel", &WasmEngine::cancel)
      .function("startedMany", &WasmEngine::started_many)
      .function("complete", &WasmEngine::complete)
      .function("workerLost", &WasmEngine::worker_lost)
      .function("workerReplaced", &WasmEngine::worker_replaced)
      .function("workerStarted", &WasmEngine::worker_started)
      .function("bankCommand", &WasmEngine::bank_command)
      .function("stopBank", &WasmEngine::stop_bank)
      .function("setConcurrency", &WasmEngine::set_concurrency)
      .function("drain", &WasmEngine::drain)
      .function("setEventMask", &WasmEngine::set_event_mask)
      .function("metrics", &WasmEngine::metrics)
      .function("workerStatus", &WasmEngine::worker_status)
      .function("banks", &WasmEngine::banks)
      .function("balanceReport", &WasmEngine::balance_report)
      .function("query", &WasmEngine::query)
      .function("request", &WasmEngine::request)
      .function("prometheus", &WasmEngine::prometheus)
      .function("advanceTime", &WasmEngine::advance_time)
      .function("tick", &WasmEngine::tick)
      .function("nextDeadlineMs", &WasmEngine::next_deadline_ms)
      .function("runNative", &WasmEngine::run_native)
      .function("wakeNative", &WasmEngine::wake_native)
      .function("nowMs", &WasmEngine::now_ms)
      .function("shutdown", &WasmEngine::shutdown)
      .function("finished", &WasmEngine::finished)
      .function("close", &WasmEngine::close);
  emscripten::function("nameTables", &name_tables);
  emscripten::function("threaded", &threaded);
#ifdef __EMSCRIPTEN_PTHREADS__
  emscripten::function("warmUpOffThread", &warm_up_off_thread);
#endif
}

}  // namespace threadbank::wasm
