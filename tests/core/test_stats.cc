// Percentiles against a sorted reference, the sliding window, histogram buckets, rates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "threadbank/stats.h"

using namespace threadbank;

namespace {

double nearest_rank_ms(std::vector<std::int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::max<std::size_t>(rank, 1);
  return static_cast<double>(values[rank - 1]) / 1e6;
}

}  // namespace

TEST_CASE("percentiles match a sorted reference", "[stats]") {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::int64_t> duration(1, 50'000'000);
  std::size_t n = GENERATE(1, 2, 99, 1000, 5000);
  DurationStats stats(8192);
  std::vector<std::int64_t> values;
  for (std::size_t i = 0; i < n; ++i) {
    values.push_back(duration(random));
    stats.add(values.back());
  }
  Percentiles p = stats.percentiles();
  CHECK(p.count == n);
  CHECK(p.p50_ms == nearest_rank_ms(values, 0.50));
  CHECK(p.p95_ms == nearest_rank_ms(values, 0.95));
  CHECK(p.p99_ms == nearest_rank_ms(values, 0.99));
  CHECK(p.max_ms == static_cast<double>(*std::max_element(values.begin(), values.end())) / 1e6);
  double sum = 0;
  for (auto v : values) sum += static_cast<double>(v);
  CHECK(p.mean_ms == Approx(sum / static_cast<double>(n) / 1e6));
}

TEST_CASE("only the last window of samples counts toward percentiles", "[stats]") {
  DurationStats stats(100);
  for (int i = 0; i < 100; ++i) stats.add(1'000'000'000);  // 1 s, all pushed out below
  std::vector<std::int64_t> recent;
  for (int i = 1; i <= 100; ++i) {
    recent.push_back(i * 1'000'000);
    stats.add(recent.back());
  }
  Percentiles p = stats.percentiles();
  CHECK(p.count == 100);
  CHECK(p.max_ms == 100.0);
  CHECK(p.p99_ms == nearest_rank_ms(recent, 0.99));
  CHECK(stats.total_count() == 200);  // totals are cumulative, for Prometheus
}

TEST_CASE("histogram buckets are cumulative and match a brute-force count", "[stats]") {
  std::mt19937_64 random(11);
  std::uniform_int_distribution<std::int64_t> duration(0, 2'000'000'000);
  DurationStats stats(16);
  std::vector<std::int64_t> values;
  for (int i = 0; i < 3000; ++i) {
    values.push_back(duration(random));
    stats.add(values.back());
  }
  auto buckets = stats.cumulative_buckets();
  for (std::size_t b = 0; b < HISTOGRAM_BOUNDS_S.size(); ++b) {
    auto expected = std::count_if(values.begin(), values.end(), [&](std::int64_t v) {
      return static_cast<double>(v) / 1e9 <= HISTOGRAM_BOUNDS_S[b];
    });
    CHECK(buckets[b] == static_cast<std::uint64_t>(expected));
    if (b > 0) CHECK(buckets[b] >= buckets[b - 1]);
  }
}

TEST_CASE("the rate counter averages over its window", "[stats]") {
  RateCounter rate(10);
  const std::int64_t s = 1'000'000'000;
  for (int second = 0; second < 10; ++second) rate.add(100 * s + second * s, 20);
  CHECK(rate.per_second(109 * s) == Approx(20.0));
  CHECK(rate.per_second(114 * s) == Approx(10.0));  // five seconds have left the window
  CHECK(rate.per_second(200 * s) == Approx(0.0));
}

// ---------------------------------------------------------------------------------------
// Window eviction on random data, edge cases of the histogram's `le` buckets, and the rate
// counter's window with explicit times.

namespace {

/// The reference for a window: the last `window` values of `all`.
std::vector<std::int64_t> last_window(const std::vector<std::int64_t>& all, std::size_t window) {
  std::size_t from = all.size() > window ? all.size() - window : 0;
  return {all.begin() + static_cast<std::ptrdiff_t>(from), all.end()};
}

void check_against_reference(const Percentiles& p, const std::vector<std::int64_t>& reference) {
  REQUIRE_FALSE(reference.empty());
  CHECK(p.count == reference.size());
  CHECK(p.p50_ms == nearest_rank_ms(reference, 0.50));
  CHECK(p.p95_ms == nearest_rank_ms(reference, 0.95));
  CHECK(p.p99_ms == nearest_rank_ms(reference, 0.99));
  CHECK(p.max_ms ==
        static_cast<double>(*std::max_element(reference.begin(), reference.end())) / 1e6);
  double sum = 0;
  for (auto v : reference) sum += static_cast<double>(v);
  CHECK(p.mean_ms == Approx(sum / static_cast<double>(reference.size()) / 1e6));
}

}  // namespace

TEST_CASE("nearest-rank percentiles on small hand-checked sets", "[stats]") {
  // 1..10 ms: p50 is the 5th smallest, p95 and p99 the 10th (ceil(9.5), ceil(9.9)).
  DurationStats ten;
  for (int ms = 10; ms >= 1; --ms) ten.add(ms * 1'000'000);  // order of arrival must not matter
  Percentiles p = ten.percentiles();
  CHECK(p.count == 10);
  CHECK(p.p50_ms == 5.0);
  CHECK(p.p95_ms == 10.0);
  CHECK(p.p99_ms == 10.0);
  CHECK(p.max_ms == 10.0);
  CHECK(p.mean_ms == Approx(5.5));

  // 1..200 ms: p50 = 100th, p95 = 190th, p99 = 198th smallest.
  DurationStats two_hundred;
  for (int ms = 1; ms <= 200; ++ms) two_hundred.add(ms * 1'000'000);
  p = two_hundred.percentiles();
  CHECK(p.p50_ms == 100.0);
  CHECK(p.p95_ms == 190.0);
  CHECK(p.p99_ms == 198.0);
  CHECK(p.max_ms == 200.0);
}

TEST_CASE("no samples: zero percentiles, zero totals, empty buckets", "[stats]") {
  DurationStats stats(10);
  Percentiles p = stats.percentiles();
  CHECK(p.count == 0);
  CHECK(p.mean_ms == 0);
  CHECK(p.p50_ms == 0);
  CHECK(p.p95_ms == 0);
  CHECK(p.p99_ms == 0);
  CHECK(p.max_ms == 0);
  CHECK(stats.total_count() == 0);
  CHECK(stats.total_seconds() == 0);
  for (auto count : stats.cumulative_buckets()) CHECK(count == 0);
}

TEST_CASE("percentiles only see the last `window` samples, on random data", "[stats]") {
  const std::size_t window = GENERATE(as<std::size_t>{}, 1, 7, 100, 1000);
  std::mt19937_64 random(1234 + window);
  // Heavy tail, so old large samples would visibly change p99 and max if they lingered.
  std::lognormal_distribution<double> duration_ms(1.0, 1.5);
  DurationStats stats(window);
  std::vector<std::int64_t> all;
  double total_ns = 0;
  for (std::size_t checkpoint :
       {window / 2 + 1, window, window + 1, 2 * window + 3, 5 * window + window / 3}) {
    while (all.size() < checkpoint) {
      auto ns = static_cast<std::int64_t>(duration_ms(random) * 1e6) + 1;
      all.push_back(ns);
      total_ns += static_cast<double>(ns);
      stats.add(ns);
    }
    INFO("window " << window << ", samples " << all.size());
    check_against_reference(stats.percentiles(), last_window(all, window));
    // Totals keep counting everything (they feed Prometheus counters).
    CHECK(stats.total_count() == all.size());
    CHECK(stats.total_seconds() == Approx(total_ns / 1e9));
  }
}

TEST_CASE("a sample exactly on a bucket bound counts in that bucket (le)", "[stats]") {
  for (std::size_t b = 0; b < HISTOGRAM_BOUNDS_S.size(); ++b) {
    auto bound_ns = static_cast<std::int64_t>(std::llround(HISTOGRAM_BOUNDS_S[b] * 1e9));
    INFO("bound " << HISTOGRAM_BOUNDS_S[b] << " s");
    DurationStats on;
    on.add(bound_ns);
    auto buckets = on.cumulative_buckets();
    for (std::size_t i = 0; i < buckets.size(); ++i) CHECK(buckets[i] == (i >= b ? 1u : 0u));

    DurationStats above;
    above.add(bound_ns + 1);
    buckets = above.cumulative_buckets();
    for (std::size_t i = 0; i < buckets.size(); ++i) CHECK(buckets[i] == (i > b ? 1u : 0u));
  }
}

TEST_CASE("samples above the last bound are counted in totals but in no finite bucket", "[stats]") {
  DurationStats stats;
  stats.add(31'000'000'000);  // 31 s > 30 s, the largest bound
  stats.add(500'000);         // 0.5 ms
  auto buckets = stats.cumulative_buckets();
  CHECK(buckets.back() == 1);
  CHECK(stats.total_count() == 2);
  CHECK(stats.total_seconds() == Approx(31.0005));
}

TEST_CASE("histogram buckets match a brute-force count around every bound", "[stats]") {
  // Values clustered on the bounds (just below, on, just above) plus uniform noise.
  std::mt19937_64 random(99);
  std::uniform_int_distribution<std::size_t> which(0, HISTOGRAM_BOUNDS_S.size() - 1);
  std::uniform_int_distribution<std::int64_t> jitter(-2, 2);
  std::uniform_int_distribution<std::int64_t> noise(0, 40'000'000'000);
  DurationStats stats(8);
  std::vector<std::int64_t> values;
  for (int i = 0; i < 5000; ++i) {
    std::int64_t v = i % 2 == 0
                         ? std::llround(HISTOGRAM_BOUNDS_S[which(random)] * 1e9) + jitter(random)
                         : noise(random);
    values.push_back(v);
    stats.add(v);
  }
  auto buckets = stats.cumulative_buckets();
  for (std::size_t b = 0; b < HISTOGRAM_BOUNDS_S.size(); ++b) {
    auto bound_ns = std::llround(HISTOGRAM_BOUNDS_S[b] * 1e9);
    auto expected =
        std::count_if(values.begin(), values.end(), [&](std::int64_t v) { return v <= bound_ns; });
    INFO("bound " << HISTOGRAM_BOUNDS_S[b]);
    CHECK(buckets[b] == static_cast<std::uint64_t>(expected));
    if (b > 0) CHECK(buckets[b] >= buckets[b - 1]);
  }
  CHECK(stats.total_count() == values.size());
}

TEST_CASE("rate counter: per second over the last window of whole seconds", "[stats][rate]") {
  const std::int64_t s = 1'000'000'000;

  SECTION("nothing counted is zero") {
    RateCounter rate(5);
    CHECK(rate.per_second(1000 * s) == 0.0);
  }
  SECTION("events in the same second add up; the sum is spread over the window") {
    RateCounter rate(10);
    for (int i = 0; i < 30; ++i) rate.add(50 * s + i * (s / 40));  // all inside second 50
    rate.add(50 * s + s - 1, 10);                                  // last ns of second 50
    CHECK(rate.per_second(50 * s) == Approx(4.0));                 // 40 events / 10 s
    CHECK(rate.per_second(50 * s + s / 2) == Approx(4.0));
  }
  SECTION("only the last window seconds count, the current one included") {
    RateCounter rate(4);
    for (int second = 0; second < 10; ++second)
      rate.add(second * s + s / 3, static_cast<std::uint64_t>(second + 1));
    // Seconds 6..9 hold 7 + 8 + 9 + 10 events.
    CHECK(rate.per_second(9 * s) == Approx(34.0 / 4));
    CHECK(rate.per_second(9 * s + s - 1) == Approx(34.0 / 4));
    // One second on, second 6 has left the window: 8 + 9 + 10.
    CHECK(rate.per_second(10 * s) == Approx(27.0 / 4));
    CHECK(rate.per_second(12 * s) == Approx(10.0 / 4));
    CHECK(rate.per_second(13 * s) == Approx(0.0));
  }
  SECTION("a second that reuses an old slot does not inherit its count") {
    RateCounter rate(3);
    rate.add(1 * s, 100);
    rate.add(4 * s, 2);  // three seconds later: same slot in a ring of three
    CHECK(rate.per_second(4 * s) == Approx(2.0 / 3));
    rate.add(5 * s, 4);
    rate.add(6 * s, 6);
    CHECK(rate.per_second(6 * s) == Approx(12.0 / 3));
  }
  SECTION("a window of one second is the count of the current second") {
    RateCounter rate(1);
    rate.add(7 * s, 3);
    rate.add(7 * s + 1, 2);
    CHECK(rate.per_second(7 * s + s / 2) == Approx(5.0));
    CHECK(rate.per_second(8 * s) == Approx(0.0));
  }
}
