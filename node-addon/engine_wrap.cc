#include "engine_wrap.h"

#include <optional>
#include <vector>

#include "convert.h"
#include "json_text.h"
#include "views.h"

namespace threadbank::node {
namespace {

// Every entry point runs its body through this: core errors become JS errors with `.code`,
// anything else becomes E_INTERNAL. No C++ exception ever reaches Node.
template <typename Body>
Napi::Value guarded(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const Error& error) {
    throw to_js_error(env, error);
  } catch (const std::exception& error) {
    throw to_js_error(env, Error(ErrorCode::INTERNAL, error.what()));
  }
}

// Set on the JS thread while it is in a call that drains the outbox itself before
// returning (completeBatch): the core's "outbox became non-empty" signal from that thread
// would only wake the event loop later to find the outbox empty (a TSFN call, an eventfd
// write, a loop iteration per batch of results). Thread-local, so a native thread's
// signal is never swallowed.
thread_local bool draining_in_call = false;

double get_number(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

std::uint32_t u32(const Napi::Value& v) { return v.As<Napi::Number>().Uint32Value(); }
std::int32_t i32(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
RequestId request_id(const Napi::Value& v) {
  return static_cast<RequestId>(v.As<Napi::Number>().Int64Value());
}

ErrorCode code_at(const Napi::Value& v) {
  auto index = v.As<Napi::Number>().Int32Value();
  return index >= 0 && index < ERROR_CODE_COUNT ? static_cast<ErrorCode>(index) : ErrorCode::INTERNAL;
}

}  // namespace

Napi::Function EngineWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeEngine",
                     {
                         InstanceMethod("registerBank", &EngineWrap::register_bank),
                         InstanceMethod("registerTask", &EngineWrap::register_task),
                         InstanceMethod("submitMany", &EngineWrap::submit_many),
                         InstanceMethod("taskIndex", &EngineWrap::task_index),
                         InstanceMethod("cancel", &EngineWrap::cancel),
                         InstanceMethod("started", &EngineWrap::started),
                         InstanceMethod("completeBatch", &EngineWrap::complete_batch),
                         InstanceMethod("workerLost", &EngineWrap::worker_lost),
                         InstanceMethod("workerReplaced", &EngineWrap::worker_replaced),
                         InstanceMethod("workerStarted", &EngineWrap::worker_started),
                         InstanceMethod("bankCommand", &EngineWrap::bank_command),
                         InstanceMethod("stopBank", &EngineWrap::stop_bank),
                         InstanceMethod("setConcurrency", &EngineWrap::set_concurrency),
                         InstanceMethod("drain", &EngineWrap::drain),
                         InstanceMethod("setEventMask", &EngineWrap::set_event_mask),
                         InstanceMethod("metrics", &EngineWrap::metrics),
                         InstanceMethod("workerStatus", &EngineWrap::worker_status),
                         InstanceMethod("banks", &EngineWrap::banks),
                         InstanceMethod("balanceReport", &EngineWrap::balance_report),
                         InstanceMethod("query", &EngineWrap::query),
                         InstanceMethod("request", &EngineWrap::request),
                         InstanceMethod("prometheus", &EngineWrap::prometheus),
                         InstanceMethod("advanceTime", &EngineWrap::advance_time),
                         InstanceMethod("nowMs", &EngineWrap::now_ms),
                         InstanceMethod("shutdown", &EngineWrap::shutdown),
                         InstanceMethod("finished", &EngineWrap::finished),
                         InstanceMethod("wakeNative", &EngineWrap::wake_native),
                         InstanceMethod("ref", &EngineWrap::ref),
                         InstanceMethod("unref", &EngineWrap::unref),
                         InstanceMethod("close", &EngineWrap::close),
                     });
}

// new NativeEngine(config, onOutbox)
EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&]() -> Napi::Value {
    auto options = info[0].As<Napi::Object>();
    auto on_outbox = info[1].As<Napi::Function>();
    EngineConfig config = views::engine_config(to_json(options, "the manager options"));
    if (options.Get("manualClock").ToBoolean().Value()) {
      auto start_ms = get_number(options, "startTimeMs", 0);
      manual_clock_ = std::make_shared<ManualClock>(static_cast<std::int64_t>(start_ms * 1e6));
      config.clock = manual_clock_;
      config.timer_thread = false;  // time moves only in advanceTime()
    }
    handlers_ = std::make_shared<HandlerRegistry>();
    shared_ = std::make_shared<Shared>();
    shared_->engine = std::make_unique<Engine>(std::move(config), handlers_);

    // The engine signals "outbox became non-empty" from whichever thread caused it; the
    // TSFN turns that into one JS call on the loop, which drains everything at once.
    outbox_tsfn_ = Napi::ThreadSafeFunction::New(env, on_outbox, "threadbank-outbox", 0, 1);
    outbox_tsfn_.Unref(env);  // only pending requests keep the loop alive (see ref())
    std::weak_ptr<Shared> weak = shared_;
    auto tsfn = outbox_tsfn_;
    shared_->engine->set_outbox_listener([tsfn, weak]() mutable {
      if (draining_in_call) return;  // this thread drains before it returns to JS
      tsfn.NonBlockingCall([weak](Napi::Env call_env, Napi::Function callback) {
        if (call_env == nullptr) return;  // the environment is going away
        auto state = weak.lock();
        if (!state || !state->engine) return;
        state->engine->drain_outbox(state->scratch);
        if (state->scratch.empty()) return;  // drained synchronously already
        callback.Call({outbox_to_js(call_env, state->scratch)});
      });
    });
    return env.Undefined();
  });
}

EngineWrap::~EngineWrap() { close_now(); }

void EngineWrap::close_now() {
  if (!shared_ || !shared_->engine) return;
  // Destroying the engine joins its threads; their last completions still reach the
  // (not yet released) TSFN, which drops them once the engine is gone.
  shared_->engine.reset();
  outbox_tsfn_.Release();
}

Engine& EngineWrap::engine(Napi::Env) {
  if (!shared_ || !shared_->engine) {
    throw Error(ErrorCode::SHUTTING_DOWN, "the manager has been closed");
  }
  return *shared_->engine;
}

// registerBank({ id, kind, workerCount, strategy, concurrency, prefetch, starting?, manifest | builtin })
Napi::Value EngineWrap::register_bank(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    BankConfig bank = views::bank_config(to_json(info[0], "the bank"), *handlers_);
    auto index = engine(env).register_bank(std::move(bank));
    return Napi::Number::New(env, index);
  });
}

Napi::Value EngineWrap::register_task(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).register_task(info[0].As<Napi::String>(), info[1].As<Napi::String>(),
                              info[2].As<Napi::String>());
    return env.Undefined();
  });
}

// submitMany(tasks[], paramsText, paramsValues[] | undefined, numbers, clients[] | undefined,
//            banks[] | undefined, ids, waitForRoom)
// Several submits in one crossing and one lock (per slice); see js/src/submit-batch.ts.
// `numbers` (Float64Array) holds, per submit, the task's index (taskIndex(), or -1 to read
// its name from `tasks`), priority, timeoutMs, retries and payloadBytes. Params are the
// submit's segment of `paramsText` (JSON texts joined by NUL, which JSON text never holds
// raw), or when that is empty its entry of `paramsValues`, or none. The id of each accepted
// submit is written to `ids` (Float64Array), 0 for a refused one. Returns null when all
// were accepted, else an array holding the error of each refused one at its index.
// waitForRoom: see SubmitSpec::wait_for_room.
Napi::Value EngineWrap::submit_many(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto tasks = info[0].As<Napi::Array>();
    std::string& text = params_text_;
    text = utf8_text(info[1]);
    std::optional<Napi::Array> values = info[2].IsArray() ? std::optional(info[2].As<Napi::Array>()) : std::nullopt;
    auto numbers = info[3].As<Napi::Float64Array>();
    std::optional<Napi::Array> clients = info[4].IsArray() ? std::optional(info[4].As<Napi::Array>()) : std::nullopt;
    std::optional<Napi::Array> banks = info[5].IsArray() ? std::optional(info[5].As<Napi::Array>()) : std::nullopt;
    auto ids = info[6].As<Napi::Float64Array>();
    const bool wait_for_room = info[7].ToBoolean().Value();
    const std::uint32_t count = tasks.Length();
    if (numbers.ElementLength() < std::size_t{count} * views::SUBMIT_NUMBERS || ids.ElementLength() < count) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "expected room for " + std::to_string(count) + " submits in numbers and ids");
    }
    // Params are converted here, on the JS thread, before the core's lock is taken. A
    // submit whose params cannot cross is refused on its own; `at` maps the others.
    std::vector<SubmitSpec>& specs = specs_;
    std::vector<std::uint32_t>& at = spec_index_;
    specs.clear();
    at.clear();
    Napi::Array errors;
    auto refuse = [&](std::uint32_t i, Napi::Value error) {
      if (errors.IsEmpty()) errors = Napi::Array::New(env, count);
      errors.Set(i, error);
      ids[i] = 0;
    };
    const std::vector<std::string_view> segments = views::split_segments(text, count, "params");
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string_view segment = segments[i];
      SubmitSpec spec;
      views::read_submit_numbers(numbers.Data() + std::size_t{i} * views::SUBMIT_NUMBERS, spec);
      if (spec.task_index < 0) spec.task = utf8_text(tasks.Get(i));
      if (clients) {
        Napi::Value client = clients->Get(i);
        if (client.IsString()) spec.client = utf8_text(client);
      }
      if (banks) {
        Napi::Value bank = banks->Get(i);
        if (bank.IsString()) spec.bank = utf8_text(bank);
      }
      try {
        if (!segment.empty()) {
          spec.params = views::parse_json_text(segment);
        } else if (values) {
          Napi::Value value = values->Get(i);
          if (!value.IsUndefined()) spec.params = to_json(value, "params");
        }
      } catch (const Error& error) {
        refuse(i, to_js_error(env, error).Value());
        continue;
      } catch (const Napi::Error& error) {
        refuse(i, error.Value());  // a getter threw: the caller gets what it threw
        continue;
      }
      specs.push_back(std::move(spec));
      at.push_back(i);
    }
    std::vector<Admission>& admitted = admitted_;
    engine(env).submit_many(specs, admitted, wait_for_room);
    for (std::size_t k = 0; k < admitted.size(); ++k) {
      const Admission& a = admitted[k];
      if (a.error == ErrorCode::OK) {
        ids[at[k]] = static_cast<double>(a.id);
      } else {
        refuse(at[k], to_js_error(env, Error(a.error, a.message)).Value());
      }
    }
    return errors.IsEmpty() ? env.Null() : Napi::Value(errors);
  });
}

Napi::Value EngineWrap::task_index(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    return Napi::Number::New(env, engine(env).task_index(utf8_text(info[0])));
  });
}

Napi::Value EngineWrap::cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    ErrorCode reason = info.Length() > 1 && info[1].IsNumber() ? code_at(info[1]) : ErrorCode::CANCELLED;
    std::string message = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value()
                                                                  : "cancelled by the caller";
    return Napi::Boolean::New(env, engine(env).cancel(request_id(info[0]), reason, message));
  });
}

// started(pairs): (requestId, attempt) per script attempt that began running (Float64Array).
Napi::Value EngineWrap::started(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto pairs = info[0].As<Napi::Float64Array>();
    engine(env).started_many(views::read_attempt_pairs(pairs.Data(), pairs.ElementLength()));
    return env.Undefined();
  });
}

// completeBatch(bank, worker, numbers, messages?, started?): results of script attempts,
// views::COMPLETE_NUMBERS numbers each (Float64Array), and where some failed, their
// messages at the same index; then `started` as started() takes it, the attempts that
// began once these results freed their places. Values stay in JavaScript; the core only
// needs to know how each attempt ended, and writes back into each result's ACCEPTED field
// whether it was the request's (JS delivers a value only then). Returns the outbox drained
// right after, as drain() does: results free slots, so there is usually more work to hand out.
Napi::Value EngineWrap::complete_batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::uint32_t bank = u32(info[0]);
    std::int32_t worker = i32(info[1]);
    auto numbers = info[2].As<Napi::Float64Array>();
    std::optional<Napi::Array> messages = info[3].IsArray() ? std::optional(info[3].As<Napi::Array>()) : std::nullopt;
    std::vector<Completion> results =
        views::read_completions(numbers.Data(), numbers.ElementLength() / views::COMPLETE_NUMBERS);
    for (std::size_t i = 0; messages && i < results.size(); ++i) {
      Outcome& outcome = results[i].outcome;
      if (outcome.error == ErrorCode::OK) continue;
      Napi::Value message = messages->Get(static_cast<std::uint32_t>(i));
      if (message.IsString()) outcome.message = utf8_text(message);
    }
    Engine& e = engine(env);
    {
      struct Flag {
        Flag() { draining_in_call = true; }
        ~Flag() { draining_in_call = false; }
      } in_call;
      e.complete_many(bank, worker, results);
      double* fields = numbers.Data();
      for (std::size_t i = 0; i < results.size(); ++i) {
        fields[i * views::COMPLETE_NUMBERS + views::COMPLETE_ACCEPTED] = results[i].accepted ? 1 : 0;
      }
      if (info[4].IsTypedArray() && info[4].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
        auto started = info[4].As<Napi::Float64Array>();
        e.started_many(views::read_attempt_pairs(started.Data(), started.ElementLength()));
      }
    }
    // Drained even if nothing signalled: a swallowed signal leaves the core counting the
    // outbox as signalled until the next drain, so this call must be that drain.
    return drained(env, e);
  });
}

// workerLost(bank, worker, code, message, runningIds?, runningAttempts?): without the
// arrays the host does not know what the worker was running.
Napi::Value EngineWrap::worker_lost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::optional<std::vector<AttemptRef>> running;
    if (info.Length() > 5 && info[4].IsArray() && info[5].IsArray()) {
      auto ids = info[4].As<Napi::Array>();
      auto attempts = info[5].As<Napi::Array>();
      running.emplace();
      for (std::uint32_t i = 0; i < ids.Length(); ++i) {
        running->emplace_back(views::request_id_from(ids.Get(i).ToNumber().DoubleValue()),
                              views::attempt_from(attempts.Get(i).ToNumber().DoubleValue()));
      }
    }
    std::int64_t restart_delay_ms = engine(env).worker_lost(
        u32(info[0]), i32(info[1]), code_at(info[2]), info[3].As<Napi::String>().Utf8Value(),
        running ? &*running : nullptr);
    return Napi::Number::New(env, static_cast<double>(restart_delay_ms));
  });
}

Napi::Value EngineWrap::worker_replaced(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).worker_replaced(u32(info[0]), i32(info[1]));
    return env.Undefined();
  });
}

Napi::Value EngineWrap::worker_started(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).worker_started(u32(info[0]), i32(info[1]));
    return env.Undefined();
  });
}

// bankCommand(bankId, "pause" | "resume" | "drain")
Napi::Value EngineWrap::bank_command(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::string bank = info[0].As<Napi::String>();
    std::string command = info[1].As<Napi::String>();
    views::bank_command(engine(env), bank, command);
    return env.Undefined();
  });
}

// stopBank(bankId, code, message): see Engine::stop_bank.
Napi::Value EngineWrap::stop_bank(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).stop_bank(info[0].As<Napi::String>(), code_at(info[1]), info[2].As<Napi::String>());
    return env.Undefined();
  });
}

Napi::Value EngineWrap::set_concurrency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).set_concurrency(info[0].As<Napi::String>(), info[1].As<Napi::Number>().Int32Value());
    return env.Undefined();
  });
}

// drain(): the outbox now, synchronously (the JS thread calls it right after work it caused).
Napi::Value EngineWrap::drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return drained(env, engine(env)); });
}

Napi::Value EngineWrap::drained(Napi::Env env, Engine& e) {
  e.drain_outbox(shared_->scratch);
  if (shared_->scratch.empty()) return env.Null();
  return outbox_to_js(env, shared_->scratch);
}

Napi::Value EngineWrap::set_event_mask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).set_event_mask(u32(info[0]));
    return env.Undefined();
  });
}

Napi::Value EngineWrap::metrics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return from_json(env, views::metrics(engine(env).metrics())); });
}

Napi::Value EngineWrap::worker_status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return from_json(env, views::worker_status(engine(env).worker_status())); });
}

Napi::Value EngineWrap::banks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return from_json(env, views::banks(engine(env).banks())); });
}

Napi::Value EngineWrap::balance_report(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    return from_json(env, views::balance_report(engine(env).balance_report(info[0].As<Napi::String>())));
  });
}

Napi::Value EngineWrap::query(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    RequestQuery query = views::query_from(to_json(info[0], "the query"));
    return from_json(env, views::query_result(engine(env).query(query)));
  });
}

Napi::Value EngineWrap::request(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto found = engine(env).request(request_id(info[0]));
    if (!found) return env.Null();
    return from_json(env, views::request_info(*found));
  });
}

Napi::Value EngineWrap::prometheus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return Napi::String::New(env, engine(env).prometheus_text()); });
}

// advanceTime(ms): test mode only; moves the manual clock and fires what became due.
Napi::Value EngineWrap::advance_time(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!manual_clock_) {
      throw Error(ErrorCode::INVALID_ARGUMENT, "advanceTime() needs a manager created in test mode");
    }
    manual_clock_->advance_ns(static_cast<std::int64_t>(info[0].As<Napi::Number>().DoubleValue() * 1e6));
    engine(env).tick();
    return env.Undefined();
  });
}

Napi::Value EngineWrap::now_ms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    return Napi::Number::New(env, static_cast<double>(engine(env).clock().now_ns()) / 1e6);
  });
}

Napi::Value EngineWrap::shutdown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).shutdown(info[0].ToBoolean().Value());
    return env.Undefined();
  });
}

Napi::Value EngineWrap::finished(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return Napi::Boolean::New(env, engine(env).finished()); });
}

Napi::Value EngineWrap::wake_native(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    engine(env).wake_native();
    return env.Undefined();
  });
}

Napi::Value EngineWrap::ref(const Napi::CallbackInfo& info) {
  if (!referenced_ && shared_ && shared_->engine) {
    outbox_tsfn_.Ref(info.Env());
    referenced_ = true;
  }
  return info.Env().Undefined();
}

Napi::Value EngineWrap::unref(const Napi::CallbackInfo& info) {
  if (referenced_ && shared_ && shared_->engine) {
    outbox_tsfn_.Unref(info.Env());
    referenced_ = false;
  }
  return info.Env().Undefined();
}

Napi::Value EngineWrap::close(const Napi::CallbackInfo& info) {
  close_now();
  return info.Env().Undefined();
}

}  // namespace threadbank::node
