// The exposition parsed back equals the metrics it came from.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "engine_fixture.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::Harness;

TEST_CASE("Prometheus text parses back to the same numbers", "[prometheus]") {
  Harness h;
  h.bank("b", 2, {action("t")});
  for (int i = 0; i < 6; ++i) h.submit("t");
  for (int i = 0; i < 6; ++i) {
    Dispatch d = h.take();
    h.clock->advance_ns((i + 1) * NS_PER_MS);
    h.finish(d, i < 4 ? Outcome::ok(nullptr) : Outcome::fail(ErrorCode::HANDLER, "x"));
  }
  std::string text = h.engine->prometheus_text();
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$)");
  std::regex help_re(R"(^# HELP (\S+) .+$)");
  std::regex type_re(R"(^# TYPE (\S+) (counter|gauge|histogram)$)");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help_re)) {
      helps.insert(m[1]);
    } else if (std::regex_match(line, m, type_re)) {
      types[m[1]] = m[2];
    } else {
      INFO(line);
      REQUIRE(std::regex_match(line, m, sample_re));
      samples[m[1].str() + "{" + m[2].str() + "}"] = std::stod(m[3]);
    }
  }
  SystemMetrics metrics = h.engine->metrics();
  const std::string mgr = "manager=\"threadbank\"";
  CHECK(samples["threadbank_requests_submitted_total{" + mgr + "}"] == 6);
  CHECK(samples["threadbank_requests_finished_total{" + mgr + ",status=\"completed\"}"] == 4);
  CHECK(samples["threadbank_requests_finished_total{" + mgr + ",status=\"failed\"}"] == 2);
  CHECK(samples["threadbank_success_ratio{" + mgr + "}"] == Approx(metrics.success_rate));
  CHECK(samples["threadbank_processing_duration_seconds_count{" + mgr + "}"] == 6);
  CHECK(samples["threadbank_processing_duration_seconds_bucket{" + mgr + ",le=\"+Inf\"}"] == 6);
  CHECK(samples["threadbank_processing_duration_seconds_sum{" + mgr + "}"] == Approx(metrics.processing.mean_ms * 6 / 1e3));
  for (const auto& w : h.engine->worker_status()) {
    std::string labels = mgr + ",bank=\"b\",worker=\"" + w.worker_id + "\"";
    CHECK(samples["threadbank_worker_tasks_total{" + labels + ",outcome=\"completed\"}"] == w.tasks_completed);
    CHECK(samples["threadbank_worker_busy_seconds_total{" + labels + "}"] == Approx(w.busy_ns / 1e9));
  }
  for (const auto& [name, type] : types) {
    CHECK(helps.count(name) == 1);
    if (type == "counter") CHECK(name.size() > 6);
    if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
  }
}
