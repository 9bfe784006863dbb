// Percentiles against a sorted reference, the sliding window, histogram buckets, rates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

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
