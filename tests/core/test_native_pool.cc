// Native banks on real threads: the basic pack's results, handler errors, cooperative
// cancellation, how work spreads over threads, and the concurrency limits, repeated for
// 1, 2 and 4 workers. Also the NativePool executor on its own.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "engine_fixture.h"
#include "threadbank/builtin_pack.h"
#include "threadbank/native_pool.h"

using namespace threadbank;
using threadbank::testing::code_of;
using threadbank::testing::task_spec;
using WallClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

/// Shared state the test's own native handlers report into.
struct Probe {
  std::atomic<int> started{0};
  std::atomic<int> saw_cancel{0};
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
  std::atomic<int> arrived{0};
  std::atomic<bool> gate{false};  // "hold" handlers return once this opens
  std::mutex mutex;
  std::set<std::thread::id> threads;

  void enter() {
    int now = ++active;
    int seen = max_active.load();
    while (now > seen && !max_active.compare_exchange_weak(seen, now)) {
    }
  }
  void leave() { --active; }
};

/// Spins until `done()` or the deadline; handlers must never hang a test run.
template <typename F>
bool spin_until(F done, milliseconds limit = milliseconds(10'000)) {
  auto deadline = WallClock::now() + limit;
  while (!done()) {
    if (WallClock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

ActionSpec native_action(const std::string& id) {
  ActionSpec a;
  a.id = id;
  return a;
}

/// A native engine (real clock, timer thread) with the basic pack plus probe handlers.
struct NativeHarness {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<HandlerRegistry> handlers = std::make_shared<HandlerRegistry>();
  std::unique_ptr<Engine> engine;
  std::uint32_t bank = 0;
  std::mutex mutex;
  std::condition_variable signal;
  std::map<RequestId, Settlement> settled;
  std::map<RequestId, int> settle_count;

  explicit NativeHarness(int workers, EngineConfig config = EngineConfig{}) {
    register_basic_pack(*handlers);
    std::shared_ptr<Probe> p = probe;
    // Runs until cancelled (or 10 s), then, if asked, holds until the gate opens.
    handlers->add("probe", [p](const nlohmann::json& params, TaskContext& ctx) {
      ++p->started;
      spin_until([&] { return ctx.cancelled(); });
      if (ctx.cancelled()) ++p->saw_cancel;
      if (params.value("hold", false)) spin_until([&] { return p->gate.load(); });
      return nlohmann::json{{"cancelled", ctx.cancelled()}};
    });
    // Records its thread and how many run at once; with "barrier": n, waits until n arrived.
    handlers->add("track", [p](const nlohmann::json& params, TaskContext&) {
      p->enter();
      {
        std::lock_guard<std::mutex> lock(p->mutex);
        p->threads.insert(std::this_thread::get_id());
      }
      int barrier = params.value("barrier", 0);
      ++p->arrived;
      if (barrier > 0)
        spin_until([&] { return p->arrived.load() >= barrier; }, milliseconds(5'000));
      std::this_thread::sleep_for(std::chrono::microseconds(params.value("sleep_us", 200)));
      p->leave();
      return nlohmann::json{{"ok", true}};
    });
    handlers->add("throw_error", [](const nlohmann::json&, TaskContext&) -> nlohmann::json {
      throw Error(ErrorCode::INVALID_PARAMS, "bad input found by the handler");
    });
    handlers->add("throw_int",
                  [](const nlohmann::json&, TaskContext&) -> nlohmann::json { throw 42; });

    Manifest manifest = basic_pack_manifest();
    for (const char* id : {"probe", "track", "throw_error", "throw_int"}) {
      manifest.actions.push_back(native_action(id));
    }
    engine = std::make_unique<Engine>(config, handlers);
    engine->set_outbox_listener([this] {
      std::lock_guard<std::mutex> lock(mutex);
      signal.notify_all();
    });
    BankConfig b;
    b.id = "native";
    b.kind = BankKind::NATIVE;
    b.worker_count = workers;
    b.manifest = manifest;
    bank = engine->register_bank(b);
  }

  ~NativeHarness() {
    probe->gate = true;  // never leave a handler holding
    // Stop the engine first: its pools report to the listener, which uses our mutex.
    engine.reset();
  }

  RequestId submit(const std::string& task, nlohmann::json params = nlohmann::json::object(),
                   std::optional<std::int64_t> timeout_ms = std::nullopt,
                   std::optional<int> retries = std::nullopt) {
    SubmitSpec spec = task_spec(task);
    spec.params = std::move(params);
    spec.timeout_ms = timeout_ms;
    spec.retries = retries;
    return engine->submit(std::move(spec));
  }

  void drain() {
    Outbox out;
    engine->drain_outbox(out);
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& s : out.settlements) {
      ++settle_count[s.request];
      settled[s.request] = std::move(s);
    }
  }

  /// Waits (up to 20 s) for the settlement of `id`.
  Settlement wait(RequestId id) {
    auto deadline = WallClock::now() + std::chrono::seconds(20);
    for (;;) {
      drain();
      {
        std::unique_lock<std::mutex> lock(mutex);
        auto it = settled.find(id);
        if (it != settled.end()) return it->second;
        if (WallClock::now() > deadline) break;
        signal.wait_for(lock, milliseconds(5));
      }
    }
    FAIL("request " << id << " did not settle within 20 s");
    return {};
  }

  int count(RequestId id) {
    drain();
    std::lock_guard<std::mutex> lock(mutex);
    auto it = settle_count.find(id);
    return it == settle_count.end() ? 0 : it->second;
  }
};

}  // namespace

TEST_CASE("the basic pack's actions return their results", "[native]") {
  int workers = GENERATE(1, 2, 4);
  NativeHarness h(workers);
  Settlement add = h.wait(h.submit("add", {{"a", 4}, {"b", 6}}));
  CHECK(add.status == RequestStatus::COMPLETED);
  CHECK(add.error == ErrorCode::OK);
  CHECK(add.result == nlohmann::json{{"result", 10}});
  Settlement add_float = h.wait(h.submit("add", {{"a", 1.5}, {"b", 2.25}}));
  CHECK(add_float.result.at("result").get<double>() == Approx(3.75));
  nlohmann::json payload = {{"text", "hi"}, {"list", {1, 2, 3}}, {"nested", {{"k", nullptr}}}};
  CHECK(h.wait(h.submit("echo", payload)).result == payload);
  Settlement slept = h.wait(h.submit("sleep", {{"ms", 5}}));
  CHECK(slept.status == RequestStatus::COMPLETED);
  Settlement burned = h.wait(h.submit("burn", {{"iterations", 10'000}}));
  CHECK(burned.status == RequestStatus::COMPLETED);
  // The manifest's declared parameters are checked at submit time.
  CHECK(code_of([&] { h.submit("add", {{"a", 1}}); }) == ErrorCode::INVALID_PARAMS);
  CHECK(code_of([&] { h.submit("add", {{"a", "1"}, {"b", 2}}); }) == ErrorCode::INVALID_PARAMS);
  CHECK(code_of([&] { h.submit("sleep", nlohmann::json::object()); }) == ErrorCode::INVALID_PARAMS);
}

TEST_CASE("a failing native handler ends FAILED with E_HANDLER and its message", "[native]") {
  EngineConfig config;
  config.retry_base_ms = 1;
  NativeHarness h(2, config);
  RequestId once = h.submit("fail", {{"message", "boom"}}, std::nullopt, 0);
  Settlement s = h.wait(once);
  CHECK(s.status == RequestStatus::FAILED);
  CHECK(s.error == ErrorCode::HANDLER);
  CHECK(s.message == "boom");  // the handler's own text, passed through
  CHECK(h.engine->request(once)->attempts == 1);

  SECTION("the retryable fail action is retried before it fails") {
    RequestId retried = h.submit("fail", {{"message", "again"}}, std::nullopt, 2);
    CHECK(h.wait(retried).error == ErrorCode::HANDLER);
    CHECK(h.engine->request(retried)->attempts == 3);
    CHECK(h.count(retried) == 1);
  }
  SECTION("a threadbank::Error keeps its code; anything thrown is caught") {
    CHECK(h.wait(h.submit("throw_error")).error == ErrorCode::INVALID_PARAMS);
    Settlement odd = h.wait(h.submit("throw_int"));
    CHECK(odd.status == RequestStatus::FAILED);
    CHECK(odd.error == ErrorCode::HANDLER);
  }
}

TEST_CASE("cancelling a running native handler makes TaskContext::cancelled() true",
          "[native][cancel]") {
  int workers = GENERATE(1, 2, 4);
  NativeHarness h(workers);
  RequestId id = h.submit("probe");
  REQUIRE(spin_until([&] { return h.probe->started.load() == 1; }));
  CHECK(h.engine->request(id)->status == RequestStatus::PROCESSING);
  CHECK(h.engine->cancel(id));
  Settlement s = h.wait(id);
  CHECK(s.status == RequestStatus::CANCELLED);
  CHECK(s.error == ErrorCode::CANCELLED);
  REQUIRE(spin_until([&] { return h.probe->saw_cancel.load() == 1; }));
  // The bank keeps working, and the cancelled request settled once.
  CHECK(h.wait(h.submit("add", {{"a", 1}, {"b", 2}})).result == nlohmann::json{{"result", 3}});
  CHECK(h.count(id) == 1);
  CHECK_FALSE(h.engine->cancel(id));
}

TEST_CASE("a cancelled basic-pack sleep returns early and frees its thread", "[native][cancel]") {
  NativeHarness h(1);
  auto start = WallClock::now();
  RequestId id = h.submit("sleep", {{"ms", 30'000}});
  REQUIRE(spin_until([&] { return h.engine->request(id)->status == RequestStatus::PROCESSING; }));
  CHECK(h.engine->cancel(id));
  // One worker: this runs only once the sleep handler has returned.
  CHECK(h.wait(h.submit("add", {{"a", 2}, {"b", 2}})).status == RequestStatus::COMPLETED);
  CHECK(WallClock::now() - start < std::chrono::seconds(10));
}

TEST_CASE(
    "a native handler past its timeout: TIMED_OUT at once, slot busy until it returns, late "
    "result ignored",
    "[native][timeout]") {
  NativeHarness h(1);
  RequestId slow = h.submit("probe", {{"hold", true}}, 30);
  RequestId next = h.submit("add", {{"a", 1}, {"b", 1}});
  Settlement s = h.wait(slow);
  CHECK(s.status == RequestStatus::TIMED_OUT);
  CHECK(s.error == ErrorCode::TIMEOUT);
  REQUIRE(spin_until([&] { return h.probe->saw_cancel.load() == 1; }));
  // The handler is still running (held at the gate): the only slot stays busy.
  std::this_thread::sleep_for(milliseconds(50));
  CHECK(h.engine->request(next)->status == RequestStatus::PENDING);
  CHECK(h.engine->worker_status()[0].inflight == 1);
  h.probe->gate = true;
  CHECK(h.wait(next).result == nlohmann::json{{"result", 2}});
  CHECK(h.engine->request(slow)->status == RequestStatus::TIMED_OUT);
  CHECK(h.count(slow) == 1);
}

TEST_CASE("work spreads over every native thread, which run at the same time", "[native]") {
  int workers = GENERATE(1, 2, 4);
  NativeHarness h(workers);
  std::vector<RequestId> ids;
  // Each handler waits until all `workers` have arrived: this only finishes if they run
  // concurrently on `workers` distinct threads.
  for (int i = 0; i < workers; ++i) ids.push_back(h.submit("track", {{"barrier", workers}}));
  for (auto id : ids) CHECK(h.wait(id).status == RequestStatus::COMPLETED);
  CHECK(h.probe->max_active.load() == workers);
  CHECK(h.probe->threads.size() == static_cast<std::size_t>(workers));
  CHECK(h.probe->threads.count(std::this_thread::get_id()) == 0);
  for (const auto& w : h.engine->worker_status()) {
    CHECK(w.kind == BankKind::NATIVE);
    CHECK(w.tasks_completed == 1);
  }
}

TEST_CASE("native in-flight work never exceeds the workers or the concurrency limit",
          "[native][concurrency]") {
  int workers = GENERATE(1, 2, 4);
  bool limited = GENERATE(false, true);
  NativeHarness h(workers);
  int limit = workers;
  if (limited) {
    limit = std::max(1, workers / 2);
    h.engine->set_concurrency("native", limit);
  }
  INFO(workers << " workers, limit " << limit);
  std::vector<RequestId> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(h.submit("track", {{"sleep_us", 500}}));
  for (auto id : ids) CHECK(h.wait(id).status == RequestStatus::COMPLETED);
  CHECK(h.probe->max_active.load() <= limit);
  CHECK(h.probe->max_active.load() >= 1);
  std::uint64_t completed = 0;
  for (const auto& w : h.engine->worker_status()) {
    completed += w.tasks_completed;
    CHECK(w.inflight == 0);
  }
  CHECK(completed == 60);
  for (auto id : ids) CHECK(h.count(id) == 1);
  SystemMetrics m = h.engine->metrics();
  CHECK(m.finished[static_cast<std::size_t>(RequestStatus::COMPLETED)] == 60);
  CHECK(m.pending == 0);
  CHECK(m.in_flight == 0);
}

TEST_CASE("shutdown(drain=true) runs queued native work, wait_finished returns",
          "[native][shutdown]") {
  int workers = GENERATE(1, 2, 4);
  NativeHarness h(workers);
  std::vector<RequestId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(h.submit("sleep", {{"ms", 1}}));
  h.engine->shutdown(true);
  CHECK(code_of([&] { h.submit("add", {{"a", 1}, {"b", 1}}); }) == ErrorCode::SHUTTING_DOWN);
  CHECK(h.engine->wait_finished(20'000));
  CHECK(h.engine->finished());
  for (auto id : ids) CHECK(h.wait(id).status == RequestStatus::COMPLETED);
}

TEST_CASE("destroying an engine with running native handlers does not hang", "[native][shutdown]") {
  auto start = WallClock::now();
  {
    NativeHarness h(2);
    h.submit("sleep", {{"ms", 60'000}});
    h.submit("sleep", {{"ms", 60'000}});
    h.submit("sleep", {{"ms", 60'000}});
    REQUIRE(spin_until([&] { return h.engine->metrics().in_flight == 2; }));
  }
  CHECK(WallClock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("a native bank needs a handler for every action", "[native]") {
  Engine engine(EngineConfig{}, std::make_shared<HandlerRegistry>());
  BankConfig bank;
  bank.id = "n";
  bank.kind = BankKind::NATIVE;
  bank.manifest = basic_pack_manifest();
  CHECK(code_of([&] { engine.register_bank(bank); }) == ErrorCode::INVALID_MANIFEST);
  CHECK(engine.banks().empty());
}

// --- the executor on its own -----------------------------------------------------------

namespace {

struct PoolRecorder {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::pair<Dispatch, Outcome>> done;
  std::vector<RequestId> started;

  void wait_for_done(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return done.size() >= n; }));
  }
};

Dispatch make_dispatch(RequestId id, std::int32_t worker, const std::string* action,
                       nlohmann::json params = nlohmann::json::object()) {
  Dispatch d;
  d.request = id;
  d.attempt = 1;
  d.worker = worker;
  d.action = action;
  d.params = std::make_shared<const nlohmann::json>(std::move(params));
  return d;
}

}  // namespace

TEST_CASE("NativePool runs each attempt on the worker it names and reports every end",
          "[native][pool]") {
  int workers = GENERATE(1, 2, 4);
  static const std::string WHO = "who";
  std::vector<std::shared_ptr<const NativeHandler>> handlers;  // by action index
  auto thread_name = [](const std::thread::id& id) {
    std::ostringstream out;
    out << id;
    return out.str();
  };
  handlers.push_back(
      std::make_shared<const NativeHandler>([&thread_name](const nlohmann::json&, TaskContext&) {
        return nlohmann::json(thread_name(std::this_thread::get_id()));
      }));
  PoolRecorder rec;
  NativePool pool(
      workers, handlers,
      [&](const Dispatch& d) {
        std::lock_guard<std::mutex> lock(rec.mutex);
        rec.started.push_back(d.request);
      },
      [&](const Dispatch& d, Outcome&& o) {
        std::lock_guard<std::mutex> lock(rec.mutex);
        rec.done.emplace_back(d, std::move(o));
        rec.cv.notify_all();
      });
  CHECK(pool.worker_count() == workers);
  const int per_worker = 5;
  for (int i = 0; i < workers * per_worker; ++i) {
    pool.execute(make_dispatch(static_cast<RequestId>(i + 1), i % workers, &WHO));
  }
  rec.wait_for_done(static_cast<std::size_t>(workers * per_worker));
  std::map<std::int32_t, std::set<std::string>> threads_by_worker;
  std::lock_guard<std::mutex> lock(rec.mutex);
  for (const auto& [d, o] : rec.done) {
    CHECK(o.error == ErrorCode::OK);
    threads_by_worker[d.worker].insert(o.result.get<std::string>());
  }
  std::set<std::string> all;
  for (const auto& [worker, threads] : threads_by_worker) {
    CHECK(threads.size() == 1);  // one thread per worker
    all.insert(threads.begin(), threads.end());
  }
  CHECK(all.size() == static_cast<std::size_t>(workers));  // and a different one each
  CHECK(rec.started.size() == static_cast<std::size_t>(workers * per_worker));
}

TEST_CASE("NativePool::stop reports queued attempts as E_SHUTTING_DOWN and stops running ones",
          "[native][pool]") {
  static const std::string WAIT = "wait_cancel";
  std::atomic<int> running{0};
  std::vector<std::shared_ptr<const NativeHandler>> handlers;  // by action index
  handlers.push_back(
      std::make_shared<const NativeHandler>([&](const nlohmann::json&, TaskContext& ctx) {
        ++running;
        spin_until([&] { return ctx.cancelled(); });
        return nlohmann::json(ctx.cancelled());
      }));
  PoolRecorder rec;
  auto pool = std::make_unique<NativePool>(
      1, handlers, [](const Dispatch&) {},
      [&](const Dispatch& d, Outcome&& o) {
        std::lock_guard<std::mutex> lock(rec.mutex);
        rec.done.emplace_back(d, std::move(o));
        rec.cv.notify_all();
      });
  pool->execute(make_dispatch(1, 0, &WAIT));
  pool->execute(make_dispatch(2, 0, &WAIT));
  pool->execute(make_dispatch(3, 0, &WAIT));
  REQUIRE(spin_until([&] { return running.load() == 1; }));
  auto start = WallClock::now();
  pool->stop();
  CHECK(WallClock::now() - start < std::chrono::seconds(5));
  std::lock_guard<std::mutex> lock(rec.mutex);
  REQUIRE(rec.done.size() == 3);
  std::map<RequestId, Outcome> by_id;
  for (const auto& [d, o] : rec.done) by_id[d.request] = o;
  CHECK(by_id[1].error == ErrorCode::OK);
  CHECK(by_id[1].result == nlohmann::json(true));  // it saw cancelled()
  CHECK(by_id[2].error == ErrorCode::SHUTTING_DOWN);
  CHECK(by_id[3].error == ErrorCode::SHUTTING_DOWN);
  CHECK(running.load() == 1);  // queued attempts never ran
  pool->stop();                // idempotent
}

TEST_CASE("NativePool::abort flags the running attempt of that request only", "[native][pool]") {
  static const std::string WAIT = "wait_cancel";
  std::atomic<int> running{0};
  std::vector<std::shared_ptr<const NativeHandler>> handlers;  // by action index
  handlers.push_back(
      std::make_shared<const NativeHandler>([&](const nlohmann::json&, TaskContext& ctx) {
        ++running;
        spin_until([&] { return ctx.cancelled(); });
        return nlohmann::json(ctx.cancelled());
      }));
  PoolRecorder rec;
  NativePool pool(
      2, handlers, [](const Dispatch&) {},
      [&](const Dispatch& d, Outcome&& o) {
        std::lock_guard<std::mutex> lock(rec.mutex);
        rec.done.emplace_back(d, std::move(o));
        rec.cv.notify_all();
      });
  pool.execute(make_dispatch(1, 0, &WAIT));
  pool.execute(make_dispatch(2, 1, &WAIT));
  REQUIRE(spin_until([&] { return running.load() == 2; }));
  pool.abort(2, 1, 1);
  rec.wait_for_done(1);
  {
    std::lock_guard<std::mutex> lock(rec.mutex);
    REQUIRE(rec.done.size() == 1);
    CHECK(rec.done[0].first.request == 2);
    CHECK(rec.done[0].second.result == nlohmann::json(true));
  }
  pool.abort(1, /*attempt=*/2, 0);  // a different attempt of request 1: not this one
  // Two more behind request 1 on worker 0; the first is aborted while it waits.
  pool.execute(make_dispatch(3, 0, &WAIT));
  pool.execute(make_dispatch(4, 0, &WAIT));
  pool.abort(3, 1, 0);
  std::this_thread::sleep_for(milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(rec.mutex);
    CHECK(rec.done.size() == 1);
  }
  pool.abort(1, 1, 0);
  rec.wait_for_done(3);
  // Request 4 runs with a cancel flag of its own: request 1's abort does not stop it.
  REQUIRE(spin_until([&] { return running.load() == 3; }));
  std::this_thread::sleep_for(milliseconds(50));
  {
    std::lock_guard<std::mutex> lock(rec.mutex);
    REQUIRE(rec.done.size() == 3);
    CHECK(rec.done[1].first.request == 1);
    CHECK(rec.done[1].second.result == nlohmann::json(true));
    CHECK(rec.done[2].first.request == 3);
    CHECK(rec.done[2].second.error == ErrorCode::CANCELLED);  // never ran
  }
  pool.abort(4, 1, 0);
  rec.wait_for_done(4);
  std::lock_guard<std::mutex> lock(rec.mutex);
  CHECK(rec.done[3].first.request == 4);
  CHECK(rec.done[3].second.result == nlohmann::json(true));
}

TEST_CASE("without native threads, native work runs when the host asks", "[native]") {
  auto handlers = std::make_shared<HandlerRegistry>();
  Manifest manifest;
  builtin_pack("basic", *handlers, &manifest);
  EngineConfig config;
  config.native_threads = false;
  config.timer_thread = false;
  Engine engine(config, handlers);
  BankConfig bank;
  bank.id = "native";
  bank.kind = BankKind::NATIVE;
  bank.worker_count = 2;
  bank.manifest = manifest;
  engine.register_bank(bank);
  for (int i = 0; i < 5; ++i) {
    SubmitSpec spec;
    spec.task = "add";
    spec.params = nlohmann::json{{"a", i}, {"b", 1}};
    engine.submit(spec);
  }
  CHECK(engine.metrics().in_flight == 2);  // assigned, waiting for the host
  CHECK(engine.run_native(1) == 1);
  CHECK(engine.run_native(100) == 4);  // the rest were assigned as slots freed
  CHECK(engine.run_native(100) == 0);
  Outbox out;
  engine.drain_outbox(out);
  REQUIRE(out.settlements.size() == 5);
  for (const auto& s : out.settlements) CHECK(s.status == RequestStatus::COMPLETED);
}

namespace {

EngineConfig deferred_wakes() {
  EngineConfig config;
  config.defer_native_wakes = true;
  return config;
}

/// Runs one request per worker, so every thread is in its loop, then lets them fall asleep.
void warm_up_then_let_sleep(NativeHarness& h, int workers) {
  std::vector<RequestId> ids;
  for (int i = 0; i < workers; ++i) ids.push_back(h.submit("add", {{"a", i}, {"b", 1}}));
  h.engine->wake_native();
  for (RequestId id : ids) CHECK(h.wait(id).status == RequestStatus::COMPLETED);
  std::this_thread::sleep_for(milliseconds(100));
}

}  // namespace

TEST_CASE("with deferred wakes, native work from submit() waits for wake_native(), then runs",
          "[native]") {
  NativeHarness h(2, deferred_wakes());
  warm_up_then_let_sleep(h, 2);

  std::vector<RequestId> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(h.submit("add", {{"a", i}, {"b", 1}}));
  std::this_thread::sleep_for(milliseconds(100));
  for (RequestId id : ids) CHECK(h.count(id) == 0);  // queued on sleeping workers, not run
  h.engine->wake_native();
  for (int i = 0; i < 8; ++i) {
    Settlement s = h.wait(ids[static_cast<std::size_t>(i)]);
    CHECK(s.status == RequestStatus::COMPLETED);
    CHECK(s.result == nlohmann::json{{"result", i + 1}});
    // The params come back with it, to be freed on the thread that drains (Settlement).
    REQUIRE(s.params);
    CHECK(*s.params == nlohmann::json{{"a", i}, {"b", 1}});
  }
  h.engine->wake_native();  // nothing owed: a no-op
}

TEST_CASE("with deferred wakes, a long run of submits wakes native threads without a flush",
          "[native]") {
  NativeHarness h(1, deferred_wakes());
  warm_up_then_let_sleep(h, 1);
  // A host that keeps submitting and has not flushed yet (a synchronous loop): the sleeping
  // thread is woken after a bounded number of submits and works through the queue.
  std::vector<RequestId> ids;
  for (int i = 0; i < 256; ++i) ids.push_back(h.submit("add", {{"a", i}, {"b", 1}}));
  CHECK(h.wait(ids[0]).status == RequestStatus::COMPLETED);
  // The thread may catch up with the loop and sleep again on a wake deferred by one of the
  // last submits: the host's flush pays that one.
  h.engine->wake_native();
  for (RequestId id : ids) CHECK(h.wait(id).status == RequestStatus::COMPLETED);
}
