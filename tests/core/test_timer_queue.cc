// TimerQueue: deadlines in order, "earliest" reported on add, retry timers listed.
#include <catch2/catch.hpp>

#include <algorithm>

#include "threadbank/timer_queue.h"

using namespace threadbank;

TEST_CASE("timers come due in deadline order, and add tells when one is the earliest", "[timers]") {
  TimerQueue timers;
  CHECK(timers.next_deadline_ns() == -1);
  CHECK(timers.add(Timer{30, 1, 1, Timer::STARTED}));
  CHECK_FALSE(timers.add(Timer{50, 2, 1, Timer::HELD}));
  CHECK(timers.add(Timer{10, 3, 1, Timer::RETRY}));
  CHECK(timers.next_deadline_ns() == 10);

  CHECK_FALSE(timers.pop_due(9).has_value());
  auto first = timers.pop_due(30);
  REQUIRE(first.has_value());
  CHECK(first->request == 3);
  auto second = timers.pop_due(30);
  REQUIRE(second.has_value());
  CHECK(second->request == 1);
  CHECK_FALSE(timers.pop_due(30).has_value());
  CHECK(timers.next_deadline_ns() == 50);
}

TEST_CASE("the requests waiting out a retry backoff are listed", "[timers]") {
  TimerQueue timers;
  timers.add(Timer{10, 1, 1, Timer::RETRY});
  timers.add(Timer{20, 2, 1, Timer::STARTED});
  timers.add(Timer{30, 3, 2, Timer::RETRY});
  auto retrying = timers.retrying();
  std::sort(retrying.begin(), retrying.end());
  CHECK(retrying == std::vector<RequestId>{1, 3});
  CHECK(timers.next_deadline_ns() == 10);  // listing takes nothing
}
