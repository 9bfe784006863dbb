// A bank's queue on its own: priority order, FIFO inside a level, aging, push_front.
// Times are plain nanosecond numbers; the queue never reads a clock itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "threadbank/request_queue.h"

using namespace threadbank;

namespace {

/// Pops everything at `now_ns` in the order the queue hands it out.
std::vector<RequestId> drain(RequestQueue& queue, std::int64_t now_ns) {
  std::vector<RequestId> out;
  while (!queue.empty()) {
    int level = queue.best_level(now_ns);
    REQUIRE(level >= MIN_PRIORITY);
    REQUIRE(level <= MAX_PRIORITY);
    out.push_back(queue.pop(level).id);
  }
  return out;
}

}  // namespace

TEST_CASE("an empty queue has no best level", "[request_queue]") {
  RequestQueue queue;
  CHECK(queue.empty());
  CHECK(queue.size() == 0);
  CHECK(queue.best_level(0) == -1);
  CHECK(queue.best_level(1'000'000'000) == -1);
}

TEST_CASE("higher priority levels come out first", "[request_queue]") {
  RequestQueue queue;
  queue.push(3, 1, 0);
  queue.push(7, 2, 0);
  queue.push(MIN_PRIORITY, 3, 0);
  queue.push(MAX_PRIORITY, 4, 0);
  queue.push(5, 5, 0);
  CHECK(queue.best_level(0) == MAX_PRIORITY);
  CHECK(drain(queue, 0) == std::vector<RequestId>{4, 2, 5, 1, 3});
}

TEST_CASE("inside one priority, first in is first out", "[request_queue]") {
  RequestQueue queue;
  // Interleave two levels so FIFO has to hold per level, not just globally.
  for (RequestId id = 1; id <= 10; ++id) {
    queue.push(id % 2 == 0 ? 6 : 4, id, static_cast<std::int64_t>(id));
  }
  CHECK(drain(queue, 100) == std::vector<RequestId>{2, 4, 6, 8, 10, 1, 3, 5, 7, 9});
}

TEST_CASE("pop returns the entry with the time it was queued at", "[request_queue]") {
  RequestQueue queue;
  queue.push(5, 42, 1234);
  RequestQueue::Entry entry = queue.pop(queue.best_level(5000));
  CHECK(entry.id == 42);
  CHECK(entry.enqueued_ns == 1234);
}

TEST_CASE("size and empty follow pushes and pops", "[request_queue]") {
  RequestQueue queue;
  queue.push(1, 1, 0);
  queue.push(1, 2, 0);
  queue.push(9, 3, 0);
  CHECK(queue.size() == 3);
  CHECK_FALSE(queue.empty());
  queue.push_front(1, 4, 0);
  CHECK(queue.size() == 4);
  queue.pop(9);
  CHECK(queue.size() == 3);
  queue.pop(1);
  queue.pop(1);
  queue.pop(1);
  CHECK(queue.size() == 0);
  CHECK(queue.empty());
  CHECK(queue.best_level(0) == -1);
}

TEST_CASE("without aging a low priority never outranks a high one", "[request_queue][aging]") {
  RequestQueue queue;  // aging_step_ns = 0: off
  queue.push(0, 1, 0);
  const std::int64_t much_later = 1'000'000'000'000;  // 1000 s
  queue.push(10, 2, much_later);
  CHECK(queue.best_level(much_later) == 10);
}

TEST_CASE("aging: a low priority that waited (high - low) steps outranks a fresh high one",
          "[request_queue][aging]") {
  const std::int64_t step = 1'000'000;  // 1 ms
  const int low = 2, high = 5;
  const std::int64_t enough = (high - low) * step;

  SECTION("one nanosecond short of (high - low) steps: the high one still wins") {
    RequestQueue queue(step);
    queue.push(low, 1, 0);
    queue.push(high, 2, enough - 1);
    CHECK(queue.best_level(enough - 1) == high);
  }
  SECTION("at (high - low) steps the effective priorities tie and the older one wins") {
    RequestQueue queue(step);
    queue.push(low, 1, 0);
    queue.push(high, 2, enough);
    CHECK(queue.best_level(enough) == low);
    CHECK(queue.pop(low).id == 1);
    CHECK(queue.best_level(enough) == high);
  }
  SECTION("one step more and it wins outright, even against an older high one") {
    RequestQueue queue(step);
    queue.push(low, 1, 0);
    queue.push(high, 2, 0);
    // Both have waited the same time, so both gained the same levels: the high one wins.
    CHECK(queue.best_level(4 * step) == high);
    CHECK(queue.pop(high).id == 2);
    queue.push(high, 3, 4 * step);
    // low waited 4 steps (2 + 4 = 6), the new high one none (5).
    CHECK(queue.best_level(4 * step) == low);
  }
}

TEST_CASE("aging ties between levels go to the request that waited longest",
          "[request_queue][aging]") {
  const std::int64_t step = 1000;
  RequestQueue queue(step);
  queue.push(6, 1, 500);  // at 1000: waited 500 -> effective 6
  queue.push(5, 2, 0);    // at 1000: waited 1 step -> effective 6, queued earlier
  CHECK(queue.best_level(1000) == 5);
  // Before the step completes the level-5 entry has not gained anything yet.
  CHECK(queue.best_level(999) == 6);
}

TEST_CASE("push_front puts a request back at the head of its level", "[request_queue]") {
  RequestQueue queue;
  queue.push(5, 1, 10);
  queue.push(5, 2, 20);
  queue.push(5, 3, 30);
  RequestQueue::Entry first = queue.pop(queue.best_level(100));
  REQUIRE(first.id == 1);
  queue.push(5, 4, 40);  // arrives while 1 is out
  queue.push_front(5, first.id, first.enqueued_ns);
  CHECK(queue.size() == 4);
  RequestQueue::Entry again = queue.pop(queue.best_level(100));
  CHECK(again.id == 1);
  CHECK(again.enqueued_ns == 10);  // keeps its original queue time
  CHECK(drain(queue, 100) == std::vector<RequestId>{2, 3, 4});
}

TEST_CASE("push_front keeps the original queue time for aging", "[request_queue][aging]") {
  const std::int64_t step = 1000;
  RequestQueue queue(step);
  queue.push(7, 1, 2500);
  // A level-4 request queued at 0 comes back at 3000: it has waited 3 steps, so it ties
  // with the level-7 request (waited 0 full steps) and wins as the older of the two.
  queue.push_front(4, 2, 0);
  CHECK(queue.best_level(3000) == 4);
  CHECK(queue.pop(4).id == 2);
  CHECK(queue.best_level(3000) == 7);
}

TEST_CASE("with aging the pop order matches a brute-force model", "[request_queue][aging]") {
  // Reference: the entry with the highest level + floor(waited / step) runs next; ties go
  // to the one queued earliest, then to the one pushed first.
  struct Model {
    int level;
    RequestId id;
    std::int64_t enqueued_ns;
  };
  const std::int64_t step = GENERATE(as<std::int64_t>{}, 0, 700, 5000);
  std::mt19937_64 random(20261125);
  std::uniform_int_distribution<int> level_of(MIN_PRIORITY, MAX_PRIORITY);
  std::uniform_int_distribution<int> action(0, 2);  // 0, 1: push; 2: pop
  std::uniform_int_distribution<std::int64_t> tick(0, 900);

  RequestQueue queue(step);
  std::vector<Model> model;
  std::int64_t now = 0;
  RequestId next_id = 1;
  auto effective = [&](const Model& m) {
    return m.level + (step > 0 ? (now - m.enqueued_ns) / step : 0);
  };
  auto model_pop = [&]() {
    auto best = model.begin();
    for (auto it = model.begin(); it != model.end(); ++it) {
      if (effective(*it) > effective(*best) ||
          (effective(*it) == effective(*best) && it->enqueued_ns < best->enqueued_ns)) {
        best = it;
      }
    }
    Model out = *best;
    model.erase(best);  // keeps push order among equals: the first one found wins
    return out;
  };

  for (int i = 0; i < 4000; ++i) {
    now += tick(random);
    if (action(random) < 2 || model.empty()) {
      int level = level_of(random);
      queue.push(level, next_id, now);
      model.push_back({level, next_id, now});
      ++next_id;
    } else {
      Model expected = model_pop();
      int level = queue.best_level(now);
      INFO("step " << step << ", operation " << i);
      REQUIRE(level == expected.level);
      RequestQueue::Entry got = queue.pop(level);
      REQUIRE(got.id == expected.id);
    }
    REQUIRE(queue.size() == model.size());
  }
}
