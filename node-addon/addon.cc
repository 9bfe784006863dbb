// Module entry. State lives in the NativeEngine instances, never in statics, so several
// managers, and several worker threads loading this addon, coexist.
#include <napi.h>

#include "convert.h"
#include "engine_wrap.h"
#include "views.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  using namespace threadbank;
  exports.Set("NativeEngine", node::EngineWrap::define(env));
  // Index -> name tables generated from the core's enums, and the wire layout, so JS never
  // mirrors them by hand (bindings/shared/views.h).
  Napi::Object tables = node::from_json(env, views::module_tables()).As<Napi::Object>();
  for (const char* table : {"errorCodes", "eventTypes", "requestStatuses", "workerStates", "bankStatuses", "wire"}) {
    exports.Set(table, tables.Get(table));
  }
  return exports;
}

}  // namespace

NODE_API_MODULE(threadbank, init)
