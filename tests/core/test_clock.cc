// Clocks: the real one never goes backwards, even read from several threads in turn; the
// manual one moves only when told to.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "threadbank/clock.h"

using namespace threadbank;

TEST_CASE("SteadyClock readings taken in turn by several threads never decrease", "[clock]") {
  SteadyClock clock;
  std::mutex mutex;
  std::vector<std::int64_t> readings;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5'000; ++i) {
        std::lock_guard<std::mutex> lock(mutex);  // orders the readings across threads
        readings.push_back(clock.now_ns());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(readings.size() == 20'000);
  bool sorted = std::is_sorted(readings.begin(), readings.end());
  CHECK(sorted);
  // Anchored to the wall clock: within a minute of system_clock.
  auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(std::llabs(wall - clock.now_ns()) < 60'000'000'000LL);
}

TEST_CASE("ManualClock moves only forward and only when told", "[clock]") {
  ManualClock clock(1'000);
  CHECK(clock.now_ns() == 1'000);
  clock.advance_ns(500);
  CHECK(clock.now_ns() == 1'500);
  clock.advance_ns(-100);
  CHECK(clock.now_ns() == 1'500);
}
