#pragma once
// NativeEngine: the JS class over one threadbank::Engine. Converts arguments and errors,
// and hands the engine's outbox to JavaScript in batches through a thread-safe function.

#include <napi.h>

#include <memory>

#include "threadbank/engine.h"

namespace threadbank::node {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit EngineWrap(const Napi::CallbackInfo& info);
  ~EngineWrap() override;

 private:
  // State the outbox callback may still reach after the wrapper is collected.
  struct Shared {
    std::unique_ptr<Engine> engine;
    Outbox scratch;
  };

  // submitMany's working lists, kept so a batch reuses the last one's memory (a fresh
  // vector of a few hundred specs was a large allocation each turn).
  std::vector<SubmitSpec> specs_;
  std::vector<std::uint32_t> spec_index_;
  std::vector<Admission> admitted_;
  std::string params_text_;

  Napi::Value register_bank(const Napi::CallbackInfo& info);
  Napi::Value register_task(const Napi::CallbackInfo& info);
  Napi::Value submit_many(const Napi::CallbackInfo& info);
  Napi::Value task_index(const Napi::CallbackInfo& info);
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value started(const Napi::CallbackInfo& info);
  Napi::Value complete_batch(const Napi::CallbackInfo& info);
  Napi::Value worker_lost(const Napi::CallbackInfo& info);
  Napi::Value worker_replaced(const Napi::CallbackInfo& info);
  Napi::Value worker_started(const Napi::CallbackInfo& info);
  Napi::Value bank_command(const Napi::CallbackInfo& info);
  Napi::Value stop_bank(const Napi::CallbackInfo& info);
  Napi::Value set_concurrency(const Napi::CallbackInfo& info);
  Napi::Value drain(const Napi::CallbackInfo& info);
  /// The outbox now, as drain() returns it (null when empty).
  Napi::Value drained(Napi::Env env, Engine& e);
  Napi::Value set_event_mask(const Napi::CallbackInfo& info);
  Napi::Value metrics(const Napi::CallbackInfo& info);
  Napi::Value worker_status(const Napi::CallbackInfo& info);
  Napi::Value banks(const Napi::CallbackInfo& info);
  Napi::Value balance_report(const Napi::CallbackInfo& info);
  Napi::Value query(const Napi::CallbackInfo& info);
  Napi::Value request(const Napi::CallbackInfo& info);
  Napi::Value prometheus(const Napi::CallbackInfo& info);
  Napi::Value advance_time(const Napi::CallbackInfo& info);
  Napi::Value now_ms(const Napi::CallbackInfo& info);
  Napi::Value shutdown(const Napi::CallbackInfo& info);
  Napi::Value finished(const Napi::CallbackInfo& info);
  Napi::Value wake_native(const Napi::CallbackInfo& info);
  Napi::Value ref(const Napi::CallbackInfo& info);
  Napi::Value unref(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);

  Engine& engine(Napi::Env env);
  void close_now();

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ManualClock> manual_clock_;
  std::shared_ptr<HandlerRegistry> handlers_;
  Napi::ThreadSafeFunction outbox_tsfn_;
  bool referenced_ = false;
};

}  // namespace threadbank::node
