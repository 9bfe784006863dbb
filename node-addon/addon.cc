// Module entry. State lives in the NativeEngine instances, never in statics, so several
// managers, and several worker threads loading this addon, coexist.
#include <napi.h>

#include "engine_wrap.h"
#include "threadbank/error.h"
#include "threadbank/events.h"
#include "threadbank/metrics.h"
#include "threadbank/request.h"

namespace {

template <typename NameOf>
Napi::Array names(Napi::Env env, int count, NameOf name_of) {
  auto array = Napi::Array::New(env, static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) array.Set(static_cast<std::uint32_t>(i), name_of(i));
  return array;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  using namespace threadbank;
  exports.Set("NativeEngine", node::EngineWrap::define(env));
  // Index -> name tables, generated from the core's enums so JS never mirrors them by hand.
  exports.Set("errorCodes", names(env, ERROR_CODE_COUNT,
                                  [](int i) { return error_code_name(static_cast<ErrorCode>(i)); }));
  exports.Set("eventTypes", names(env, EVENT_TYPE_COUNT,
                                  [](int i) { return event_type_name(static_cast<EventType>(i)); }));
  exports.Set("requestStatuses", names(env, REQUEST_STATUS_COUNT, [](int i) {
                return request_status_name(static_cast<RequestStatus>(i));
              }));
  exports.Set("workerStates", names(env, WORKER_STATE_COUNT, [](int i) { return worker_state_name(static_cast<WorkerState>(i)); }));
  exports.Set("bankStatuses", names(env, BANK_STATUS_COUNT, [](int i) { return bank_status_name(static_cast<BankStatus>(i)); }));
  return exports;
}

}  // namespace

NODE_API_MODULE(threadbank, init)
