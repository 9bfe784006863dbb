// OutboxChannel: appends from any thread, one take gets everything in order, and the
// listener hears "became non-empty" once per take.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "threadbank/outbox.h"

using namespace threadbank;

namespace {

Settlement settled(RequestId id) {
  Settlement s;
  s.request = id;
  return s;
}

}  // namespace

TEST_CASE("the listener is told once per take, only when something waits", "[outbox]") {
  OutboxChannel channel;
  int told = 0;
  channel.set_listener([&] { ++told; });
  channel.signal();
  CHECK(told == 0);  // nothing to take

  channel.push(settled(1));
  channel.signal();
  channel.push(settled(2));
  channel.signal();
  CHECK(told == 1);  // the first signal is still outstanding

  Outbox out;
  channel.take(out);
  REQUIRE(out.settlements.size() == 2);
  CHECK(out.settlements[0].request == 1);
  CHECK(out.settlements[1].request == 2);
  channel.signal();
  CHECK(told == 1);  // taken: empty again

  Event e;
  e.type = EventType::QUEUE_DRAIN;
  channel.push(e);
  channel.signal();
  CHECK(told == 2);
  channel.take(out);
  CHECK(out.settlements.empty());  // the caller's vectors are cleared, not appended to
  CHECK(out.events.size() == 1);
}

TEST_CASE("a listener replaced by nullptr is never called again", "[outbox]") {
  OutboxChannel channel;
  int told = 0;
  channel.set_listener([&] { ++told; });
  channel.set_listener(nullptr);
  channel.push(settled(1));
  channel.signal();
  CHECK(told == 0);
}

TEST_CASE("evicted records travel with the outbox but are nothing to act on", "[outbox]") {
  OutboxChannel channel;
  int told = 0;
  channel.set_listener([&] { ++told; });
  channel.push(RequestStore::Evicted{});
  channel.signal();
  CHECK(told == 0);
}

TEST_CASE("pushes from several threads all arrive, each thread's in its order", "[outbox][threads]") {
  const int threads = GENERATE(1, 2, 4);
  constexpr int PER_THREAD = 2'000;
  OutboxChannel channel;
  std::atomic<int> told{0};
  channel.set_listener([&] { told.fetch_add(1); });
  std::vector<std::thread> pushers;
  for (int t = 0; t < threads; ++t) {
    pushers.emplace_back([&, t] {
      for (int i = 0; i < PER_THREAD; ++i) {
        channel.push(settled(static_cast<RequestId>(t) * 1'000'000 + static_cast<RequestId>(i) + 1));
        channel.signal();
      }
    });
  }
  std::vector<Settlement> all;
  Outbox out;
  auto take = [&] {
    channel.take(out);
    for (auto& s : out.settlements) all.push_back(std::move(s));
  };
  while (static_cast<int>(all.size()) < threads * PER_THREAD) {
    take();
    std::this_thread::yield();
  }
  for (auto& p : pushers) p.join();
  take();
  REQUIRE(static_cast<int>(all.size()) == threads * PER_THREAD);
  std::vector<RequestId> last(static_cast<std::size_t>(threads), 0);
  for (const auto& s : all) {
    auto t = static_cast<std::size_t>(s.request / 1'000'000);
    CHECK(s.request > last[t]);
    last[t] = s.request;
  }
  CHECK(told.load() >= 1);
}
