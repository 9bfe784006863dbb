#pragma once
// One WasmEngine per manager: the calls embind exposes (binding.cc). Arguments and results
// cross as numbers and JSON text; the JS-facing names come from bindings/shared/views.
// Every entry point catches: errors are kept and read back with error(), so no C++
// exception or JS throw ever unwinds through wasm frames. Where JS hands over an array,
// the entry point converts it and calls a twin taking a vector, which the off-thread
// warm-up (warm_up.cc) calls too.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "threadbank/builtin_pack.h"
#include "threadbank/engine.h"
#include "json_text.h"
#include "views.h"
#ifdef __EMSCRIPTEN_PTHREADS__
#include "reaper.h"
#endif

namespace threadbank::wasm {

using nlohmann::json;

namespace detail {

// Runs on the main runtime thread: tells JS that engine `id` has something in its outbox.
// EM_ASM names its arguments $0, $1...: -Wpedantic calls that a '$' in an identifier.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdollar-in-identifier-extension"
inline void notify_main(int id) {
  EM_ASM({ if (Module.threadbankNotify) Module.threadbankNotify($0); }, id);
}
#pragma clang diagnostic pop

inline void notify_from_any_thread(int id) {
#ifdef __EMSCRIPTEN_PTHREADS__
  if (!emscripten_is_main_runtime_thread()) {
    // Asynchronous: the pthread never waits for the main thread to get back to its loop.
    emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, &notify_main, id);
    return;
  }
#endif
  notify_main(id);
}

}  // namespace detail

class WasmEngine {
 public:
  WasmEngine(const WasmEngine&) = delete;
  WasmEngine& operator=(const WasmEngine&) = delete;
  ~WasmEngine() { close(); }

  WasmEngine(const std::string& config_text, int id) : id_(id) {
    guard([&] {
      json options = json::parse(config_text);
      EngineConfig config = views::engine_config(options);
      if (options.value("manualClock", false)) {
        clock_ = std::make_shared<ManualClock>(static_cast<std::int64_t>(options.value("startTimeMs", 0.0) * 1e6));
        config.clock = clock_;
      }
#ifdef __EMSCRIPTEN_PTHREADS__
      config.timer_thread = !clock_;
      config.native_threads = true;
#else
      // Without threads, JS drives time (tick) and native work (runNative) from its loop.
      config.timer_thread = false;
      config.native_threads = false;
#endif
#ifdef __EMSCRIPTEN_PTHREADS__
      Reaper::instance();  // its thread starts now, with the engine's, not at close
#endif
      engine_ = std::make_unique<Engine>(std::move(config), handlers_);
      int engine_id = id_;
      engine_->set_outbox_listener([engine_id] { detail::notify_from_any_thread(engine_id); });
    });
  }

  std::string error() {
    std::string out;
    out.swap(error_);
    return out;
  }

  int register_bank(const std::string& bank_text) {
    return guard_value(-1, [&] { return static_cast<int>(engine().register_bank(views::bank_config(json::parse(bank_text), *handlers_))); });
  }

  void register_task(const std::string& task, const std::string& bank, const std::string& action) {
    guard([&] { engine().register_task(task, bank, action); });
  }

  double submit(const std::string& task, const std::string& params_text, int priority, double timeout_ms,
                int retries, const std::string& client, const std::string& bank, double payload_bytes,
                bool wait_for_room) {
    return guard_value(-1.0, [&] {
      SubmitSpec spec;
      spec.wait_for_room = wait_for_room;
      spec.task = task;
      if (!params_text.empty()) spec.params = views::parse_json_text(params_text);
      spec.priority = priority;
      if (timeout_ms >= 0) spec.timeout_ms = static_cast<std::int64_t>(timeout_ms);
      if (retries >= 0) spec.retries = retries;
      spec.client = client;
      spec.bank = bank;
      spec.payload_bytes = static_cast<std::size_t>(payload_bytes);
      return static_cast<double>(engine().submit(std::move(spec)));
    });
  }

  // One call for a batch of submits (the addon's submitMany, in the form embind passes
  // cheaply): `tasks`, `params`, `clients` and `banks` hold one '\0'-separated segment per
  // submit ("" params: none; "" clients or banks: none for the whole batch), `numbers`
  // SUBMIT_NUMBERS per submit. Returns a view of the ids, 0 where refused (submit_errors()
  // says why), valid until the next call. A segment count that does not match (a name that
  // holds '\0') refuses the whole call with E_INVALID_ARGUMENT: the caller then submits one
  // by one.
  emscripten::val submit_many(const std::string& tasks, const std::string& params, const emscripten::val& numbers,
                              const std::string& clients, const std::string& banks, bool wait_for_room) {
    std::vector<double> n;
    guard([&] { n = emscripten::convertJSArrayToNumberVector<double>(numbers); });
    const std::vector<double>& ids = submit_batch(tasks, params, n, clients, banks, wait_for_room);
    return emscripten::val(emscripten::typed_memory_view(ids.size(), ids.data()));
  }

  const std::vector<double>& submit_batch(const std::string& tasks, const std::string& params, const std::vector<double>& n,
                                          const std::string& clients, const std::string& banks, bool wait_for_room) {
    submit_errors_.clear();
    ids_.clear();
    guard([&] {
      std::size_t count = n.size() / views::SUBMIT_NUMBERS;
      if (count == 0) return;
      auto task_names = views::split_segments(tasks, count, "tasks");
      auto param_texts = views::split_segments(params, count, "params");
      auto client_ids = clients.empty() ? std::vector<std::string_view>() : views::split_segments(clients, count, "clients");
      auto bank_ids = banks.empty() ? std::vector<std::string_view>() : views::split_segments(banks, count, "banks");
      specs_.clear();
      spec_index_.clear();
      ids_.assign(count, 0.0);
      for (std::size_t i = 0; i < count; ++i) {
        SubmitSpec spec;
        views::read_submit_numbers(n.data() + i * views::SUBMIT_NUMBERS, spec);
        spec.task = std::string(task_names[i]);
        if (!client_ids.empty()) spec.client = std::string(client_ids[i]);
        if (!bank_ids.empty()) spec.bank = std::string(bank_ids[i]);
        try {
          if (!param_texts[i].empty()) spec.params = views::parse_json_text(param_texts[i]);
        } catch (const Error& error) {
          refuse(i, error.code(), error.what());
          continue;
        }
        specs_.push_back(std::move(spec));
        spec_index_.push_back(i);
      }
      engine().submit_many(specs_, admitted_, wait_for_room);
      for (std::size_t k = 0; k < admitted_.size(); ++k) {
        const Admission& a = admitted_[k];
        if (a.error == ErrorCode::OK) {
          ids_[spec_index_[k]] = static_cast<double>(a.id);
        } else {
          refuse(spec_index_[k], a.error, a.message);
        }
      }
    });
    return ids_;
  }

  /// JSON [[index, code name, message], ...] of the last submit_many's refusals.
  std::string submit_errors() { return submit_errors_.empty() ? std::string() : submit_errors_.dump(); }

  // One call for a worker's batch of results: `numbers` holds views::COMPLETE_NUMBERS
  // numbers per result; `messages` one '\0'-separated segment per result, or "" when none
  // failed. Returns one character per result, '1' where the core accepted it as the
  // request's outcome (JS writes it to the result's ACCEPTED field), else '0'.
  std::string complete_many(int bank, int worker, const emscripten::val& numbers, const std::string& messages) {
    std::vector<double> n;
    guard([&] { n = emscripten::convertJSArrayToNumberVector<double>(numbers); });
    return complete_batch(bank, worker, n, messages);
  }

  std::string complete_batch(int bank, int worker, const std::vector<double>& n, const std::string& messages) {
    std::string accepted;
    guard([&] {
      std::size_t count = n.size() / views::COMPLETE_NUMBERS;
      if (count == 0) return;
      auto texts = messages.empty() ? std::vector<std::string_view>() : views::split_segments(messages, count, "messages");
      std::vector<Completion> results = views::read_completions(n.data(), count);
      for (std::size_t i = 0; i < texts.size(); ++i) results[i].outcome.message = std::string(texts[i]);
      engine().complete_many(static_cast<std::uint32_t>(bank), worker, results);
      for (const Completion& c : results) accepted.push_back(c.accepted ? '1' : '0');
    });
    return accepted;
  }

  bool cancel(double id, int code, const std::string& message) {
    return guard_value(false, [&] { return engine().cancel(static_cast<RequestId>(id), code_at(code), message); });
  }

  // `numbers`: (id, attempt) per attempt that started.
  void started_many(const emscripten::val& numbers) {
    std::vector<double> n;
    guard([&] { n = emscripten::convertJSArrayToNumberVector<double>(numbers); });
    started_pairs(n);
  }

  void started_pairs(const std::vector<double>& n) {
    guard([&] { engine().started_many(views::read_attempt_pairs(n.data(), n.size())); });
  }

  // One result, as complete_many takes them; returns whether the core accepted it.
  bool complete(double id, double attempt, int bank, int worker, int code, const std::string& message, double run_ms) {
    return guard_value(false, [&] {
      Outcome outcome;
      outcome.error = code_at(code);
      outcome.message = message;
      outcome.run_ns = views::run_ns_from_ms(run_ms);
      return engine().complete(views::request_id_from(id), views::attempt_from(attempt),
                               static_cast<std::uint32_t>(bank), worker, std::move(outcome));
    });
  }

  // `running_text`: JSON [[id, attempt], ...] of what the worker was running, or "" when
  // the host does not know.
  // Returns the wait before the replacement starts (ms), as Engine::worker_lost.
  double worker_lost(int bank, int worker, int code, const std::string& message, const std::string& running_text) {
    return guard_value(0.0, [&] {
      std::optional<std::vector<AttemptRef>> running;
      if (!running_text.empty()) {
        running.emplace();
        for (const auto& pair : json::parse(running_text)) {
          running->emplace_back(views::request_id_from(pair.at(0).get<double>()),
                                views::attempt_from(pair.at(1).get<double>()));
        }
      }
      return static_cast<double>(engine().worker_lost(static_cast<std::uint32_t>(bank), worker, code_at(code),
                                                      message, running ? &*running : nullptr));
    });
  }

  void worker_replaced(int bank, int worker) {
    guard([&] { engine().worker_replaced(static_cast<std::uint32_t>(bank), worker); });
  }

  void worker_started(int bank, int worker) {
    guard([&] { engine().worker_started(static_cast<std::uint32_t>(bank), worker); });
  }

  void bank_command(const std::string& bank, const std::string& command) {
    guard([&] { views::bank_command(engine(), bank, command); });
  }

  void stop_bank(const std::string& bank, int code, const std::string& message) {
    guard([&] { engine().stop_bank(bank, code_at(code), message); });
  }

  void set_concurrency(const std::string& bank, int limit) {
    guard([&] { engine().set_concurrency(bank, limit); });
  }

  /// The outbox as JSON text, or "" when it is empty.
  std::string drain() {
    return guard_value(std::string(), [&] {
      engine().drain_outbox(scratch_);
      return scratch_.empty() ? std::string() : views::outbox(scratch_).dump();
    });
  }

  void set_event_mask(int mask) {
    guard([&] { engine().set_event_mask(static_cast<std::uint32_t>(mask)); });
  }

  std::string metrics() { return text([&] { return views::metrics(engine().metrics()); }); }
  std::string worker_status() { return text([&] { return views::worker_status(engine().worker_status()); }); }
  std::string banks() { return text([&] { return views::banks(engine().banks()); }); }
  std::string balance_report(const std::string& bank) {
    return text([&] { return views::balance_report(engine().balance_report(bank)); });
  }
  std::string query(const std::string& query_text) {
    return text([&] { return views::query_result(engine().query(views::query_from(json::parse(query_text)))); });
  }
  std::string request(double id) {
    return text([&] {
      auto found = engine().request(static_cast<RequestId>(id));
      return found ? views::request_info(*found) : json();
    });
  }
  std::string prometheus() {
    return guard_value(std::string(), [&] { return engine().prometheus_text(); });
  }

  void advance_time(double ms) {
    guard([&] {
      if (!clock_) throw Error(ErrorCode::INVALID_ARGUMENT, "advanceTime() needs a manager created in test mode");
      clock_->advance_ns(static_cast<std::int64_t>(ms * 1e6));
      engine().tick();
    });
  }

  /// Fires due timers; returns the next deadline in ms since the epoch, or -1.
  double tick() {
    return guard_value(-1.0, [&] {
      std::int64_t next = engine().tick();
      return next < 0 ? -1.0 : static_cast<double>(next) / 1e6;
    });
  }

  double next_deadline_ms() {
    return guard_value(-1.0, [&] {
      std::int64_t next = engine().next_deadline_ns();
      return next < 0 ? -1.0 : static_cast<double>(next) / 1e6;
    });
  }

  void wake_native() {
    guard([&] { engine().wake_native(); });
  }

  int run_native(int max_jobs) {
    return guard_value(0, [&] { return static_cast<int>(engine().run_native(static_cast<std::size_t>(max_jobs))); });
  }

  double now_ms() {
    return guard_value(0.0, [&] { return static_cast<double>(engine().clock().now_ns()) / 1e6; });
  }

  void shutdown(bool drain) {
    guard([&] { engine().shutdown(drain); });
  }

  bool finished() {
    return guard_value(false, [&] { return engine().finished(); });
  }

  // Destroying an engine joins its threads; on the main thread the reaper does it instead
  // (reaper.h). Nothing it runs reaches back into this object: the outbox listener holds
  // only the engine's id.
  void close() {
#ifdef __EMSCRIPTEN_PTHREADS__
    if (engine_ && emscripten_is_main_runtime_thread()) {
      Reaper::instance().take(std::move(engine_));
      return;
    }
#endif
    engine_.reset();
  }

 private:
  Engine& engine() {
    if (!engine_) throw Error(ErrorCode::SHUTTING_DOWN, "the manager has been closed");
    return *engine_;
  }

  static ErrorCode code_at(int index) {
    return index >= 0 && index < ERROR_CODE_COUNT ? static_cast<ErrorCode>(index) : ErrorCode::INTERNAL;
  }

  void refuse(std::size_t index, ErrorCode code, const std::string& message) {
    ids_[index] = 0;
    submit_errors_.push_back(json::array({index, error_code_name(code), message}));
  }

  template <typename Body>
  void guard(Body&& body) {
    try {
      body();
    } catch (const Error& e) {
      error_ = std::string(error_code_name(e.code())) + "\n" + e.what();
    } catch (const std::exception& e) {
      error_ = std::string("E_INTERNAL\n") + e.what();
    }
  }

  template <typename T, typename Body>
  T guard_value(T fallback, Body&& body) {
    T out = fallback;
    guard([&] { out = body(); });
    return out;
  }

  template <typename Body>
  std::string text(Body&& body) {
    return guard_value(std::string(), [&] { return body().dump(); });
  }

  int id_;
  std::shared_ptr<HandlerRegistry> handlers_ = std::make_shared<HandlerRegistry>();
  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Engine> engine_;
  Outbox scratch_;
  std::string error_;
  // submit_many's, kept between calls for their capacity.
  std::vector<SubmitSpec> specs_;
  std::vector<std::size_t> spec_index_;
  std::vector<Admission> admitted_;
  std::vector<double> ids_;
  json submit_errors_ = json::array();
};

// Index -> name tables and the wire layout, as the Node addon exports them.
inline std::string name_tables() { return views::module_tables().dump(); }

inline bool threaded() {
#ifdef __EMSCRIPTEN_PTHREADS__
  return true;
#else
  return false;
#endif
}

}  // namespace threadbank::wasm
