// The Prometheus exposition, parsed back with a small line parser, must say exactly what
// metrics(), worker_status() and banks() say, and follow the text format's rules.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "engine_fixture.h"
#include "threadbank/stats.h"

using namespace threadbank;
using threadbank::testing::action;
using threadbank::testing::BankOptions;
using threadbank::testing::ScriptHarness;
using threadbank::testing::task_spec;

namespace {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
  std::string text;  // the value as printed
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, int> help_count, type_count;
  std::map<std::string, std::size_t> first_sample_line, meta_line;
  std::vector<std::string> errors;
};

// name{k="v",k2="v\"2"} value   |   name value   |   # HELP name text   |   # TYPE name type
Exposition parse(const std::string& text) {
  Exposition out;
  std::istringstream lines(text);
  std::string line;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      bool help = line[2] == 'H';
      std::istringstream fields(line.substr(7));
      std::string name, rest;
      fields >> name;
      std::getline(fields, rest);
      if (name.empty() || rest.size() < 2) out.errors.push_back("bad meta line: " + line);
      if (help) {
        ++out.help_count[name];
      } else {
        ++out.type_count[name];
        out.types[name] = rest.substr(1);
      }
      if (out.meta_line.count(name) == 0) out.meta_line[name] = number;
      continue;
    }
    if (line[0] == '#') continue;  // other comments are allowed
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string key;
        while (i < line.size() && line[i] != '=') key += line[i++];
        if (i + 1 >= line.size() || line[i + 1] != '"') {
          out.errors.push_back("bad label in: " + line);
          break;
        }
        i += 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            char next = line[i + 1];
            value += next == 'n' ? '\n' : next;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        ++i;  // closing quote
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // closing brace
    }
    if (i >= line.size() || line[i] != ' ') {
      out.errors.push_back("no value in: " + line);
      continue;
    }
    std::string value = line.substr(i + 1);
    s.text = value;
    try {
      std::size_t used = 0;
      s.value = value == "+Inf" ? HUGE_VAL : std::stod(value, &used);
      if (value != "+Inf" && used != value.size())
        out.errors.push_back("trailing text in: " + line);
    } catch (const std::exception&) {
      out.errors.push_back("bad value in: " + line);
    }
    if (out.first_sample_line.count(s.name) == 0) out.first_sample_line[s.name] = number;
    out.samples.push_back(std::move(s));
  }
  return out;
}

/// The family a sample belongs to: histogram series carry _bucket/_sum/_count suffixes.
std::string family_of(const Exposition& e, const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = e.types.find(base);
      if (it != e.types.end() && (it->second == "histogram" || it->second == "summary"))
        return base;
    }
  }
  return name;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The value of the one sample with this name and these labels (besides `manager`).
std::optional<double> value_of(const Exposition& e, const std::string& name, Labels labels = {}) {
  std::optional<double> found;
  int matches = 0;
  for (const auto& s : e.samples) {
    if (s.name != name) continue;
    Labels rest = s.labels;
    rest.erase("manager");
    if (rest == labels) {
      found = s.value;
      ++matches;
    }
  }
  return matches == 1 ? found : std::nullopt;
}

/// A scenario with a bit of everything, on the manual clock.
struct Scenario {
  ScriptHarness h;
  std::vector<std::int64_t> durations_ns;  // every attempt's start-to-end time

  explicit Scenario(EngineConfig config) : h(config) {
    BankOptions two;
    two.workers = 2;
    h.bank("main", {action("t"), action("flaky", true)}, two);
    // A bank id that needs escaping in label values.
    h.bank("odd\"bank\\id", {action("u")});

    // Attempt durations that land in many histogram buckets, including exactly on bounds
    // (le is "less than or equal") and past the largest bound.
    const std::int64_t us = 1'000;
    std::vector<std::int64_t> runs = {50 * us,        300 * us,          NS_PER_MS,
                                      2 * NS_PER_MS,  5 * NS_PER_MS,     7 * NS_PER_MS,
                                      40 * NS_PER_MS, 2'000 * NS_PER_MS, 60'000 * NS_PER_MS};
    for (std::size_t i = 0; i < runs.size(); ++i) {
      h.submit("t");
      bool fail = i % 3 == 2;
      h.run_next(runs[i], fail ? Outcome::fail(ErrorCode::HANDLER, "x") : Outcome::ok(nullptr));
      durations_ns.push_back(runs[i]);
    }
    // One retry, then success, on the odd bank's neighbour.
    h.submit("flaky");
    h.run_next(NS_PER_MS, Outcome::fail(ErrorCode::HANDLER, "x"));
    durations_ns.push_back(NS_PER_MS);
    h.advance_ms(100);
    h.run_next(3 * NS_PER_MS);
    durations_ns.push_back(3 * NS_PER_MS);
    // Work on the odd bank, a worker restart there, a rejection, and live work.
    h.submit("u");
    h.run_next(4 * NS_PER_MS);
    durations_ns.push_back(4 * NS_PER_MS);
    h.engine->worker_lost(1, 0, ErrorCode::WORKER_CRASHED, "gone");
    h.engine->worker_replaced(1, 0);
    try {
      h.engine->submit(task_spec("nope"));
    } catch (const Error&) {
    }
    h.submit("t");  // in flight
    h.submit("t");  // in flight
    h.submit("t");  // pending
    h.advance_ms(1'234);
  }
};

}  // namespace

TEST_CASE("every metric has HELP and TYPE, before its samples, once", "[prometheus]") {
  Scenario sc(EngineConfig{});
  Exposition e = parse(sc.h.engine->prometheus_text());
  for (const auto& err : e.errors) FAIL(err);
  REQUIRE_FALSE(e.samples.empty());
  std::set<std::string> families;
  for (const auto& s : e.samples) families.insert(family_of(e, s.name));
  for (const auto& family : families) {
    INFO(family);
    CHECK(e.help_count[family] == 1);
    CHECK(e.type_count[family] == 1);
    CHECK(e.meta_line.count(family) == 1);
  }
  for (const auto& s : e.samples) {
    std::string family = family_of(e, s.name);
    INFO(s.name);
    CHECK(e.meta_line[family] < e.first_sample_line[s.name]);
    CHECK(s.labels.count("manager") == 1);
    CHECK(s.labels.at("manager") == "threadbank");
  }
  for (const auto& [family, type] : e.types) {
    INFO(family << " " << type);
    CHECK((type == "counter" || type == "gauge" || type == "histogram"));
    // Every declared family has samples.
    CHECK(families.count(family) == 1);
  }
}

TEST_CASE("metric names carry their units", "[prometheus]") {
  Scenario sc(EngineConfig{});
  Exposition e = parse(sc.h.engine->prometheus_text());
  for (const auto& [family, type] : e.types) {
    INFO(family);
    CHECK(family.rfind("threadbank_", 0) == 0);
    if (type == "counter") CHECK(ends_with(family, "_total"));
    if (type != "counter") CHECK_FALSE(ends_with(family, "_total"));
    // Base units only: seconds, never milliseconds or nanoseconds.
    for (const char* bad : {"_ms", "_ns", "millis", "nanos", "_us"})
      CHECK(family.find(bad) == std::string::npos);
    bool is_time =
        family.find("duration") != std::string::npos || family.find("busy") != std::string::npos ||
        family.find("uptime") != std::string::npos || family.find("wait") != std::string::npos;
    if (is_time) CHECK(family.find("_seconds") != std::string::npos);
  }
  CHECK(e.types["threadbank_processing_duration_seconds"] == "histogram");
}

TEST_CASE("the exposition parses back to the numbers of metrics() and worker_status()",
          "[prometheus]") {
  EngineConfig config;
  config.name = "mgr \"one\"";  // the manager label is escaped too
  Scenario sc(config);
  ScriptHarness& h = sc.h;
  Exposition e = parse(h.engine->prometheus_text());
  for (const auto& err : e.errors) FAIL(err);
  for (const auto& s : e.samples) CHECK(s.labels.at("manager") == "mgr \"one\"");

  SystemMetrics m = h.engine->metrics();
  auto check = [&](const std::string& name, Labels labels, double expected) {
    INFO(name);
    auto got = value_of(e, name, labels);
    REQUIRE(got.has_value());
    CHECK(*got == Approx(expected).margin(1e-12));
  };
  check("threadbank_requests_submitted_total", {}, static_cast<double>(m.total_requests));
  check("threadbank_requests_rejected_total", {}, static_cast<double>(m.rejected));
  for (int st = static_cast<int>(RequestStatus::COMPLETED); st < REQUEST_STATUS_COUNT; ++st) {
    auto status = static_cast<RequestStatus>(st);
    check("threadbank_requests_finished_total", {{"status", request_status_name(status)}},
          static_cast<double>(m.finished[static_cast<std::size_t>(st)]));
  }
  check("threadbank_retries_total", {}, static_cast<double>(m.retries));
  check("threadbank_queue_depth", {}, static_cast<double>(m.pending));
  check("threadbank_in_flight", {}, static_cast<double>(m.in_flight));
  check("threadbank_load_ratio", {}, m.current_load);
  check("threadbank_success_ratio", {}, m.success_rate);
  check("threadbank_uptime_seconds", {}, static_cast<double>(m.uptime_ms) / 1e3);
  // Sanity: the scenario really produced non-trivial numbers.
  CHECK(m.total_requests == 14);
  CHECK(m.rejected == 1);
  CHECK(m.retries == 1);
  CHECK(m.pending == 1);
  CHECK(m.in_flight == 2);

  for (const auto& bank : h.engine->banks()) {
    check("threadbank_bank_queue_depth", {{"bank", bank.id}},
          static_cast<double>(bank.queue_depth));
    check("threadbank_bank_concurrency_limit", {{"bank", bank.id}}, bank.concurrency);
  }
  int restarts = 0;
  for (const auto& w : h.engine->worker_status()) {
    Labels labels = {{"bank", w.bank}, {"worker", w.worker_id}};
    Labels completed = labels, failed = labels;
    completed["outcome"] = "completed";
    failed["outcome"] = "failed";
    check("threadbank_worker_tasks_total", completed, static_cast<double>(w.tasks_completed));
    check("threadbank_worker_tasks_total", failed, static_cast<double>(w.tasks_failed));
    check("threadbank_worker_busy_seconds_total", labels, static_cast<double>(w.busy_ns) / 1e9);
    check("threadbank_worker_in_flight", labels, w.inflight);
    check("threadbank_worker_restarts_total", labels, w.restarts);
    restarts += w.restarts;
  }
  CHECK(restarts == 1);
  CHECK(value_of(e, "threadbank_worker_restarts_total",
                 {{"bank", "odd\"bank\\id"}, {"worker", "odd\"bank\\id#0"}}) == 1.0);
}

TEST_CASE("the processing histogram: cumulative buckets, +Inf equals count, sum in seconds",
          "[prometheus][histogram]") {
  Scenario sc(EngineConfig{});
  Exposition e = parse(sc.h.engine->prometheus_text());
  for (const auto& err : e.errors) FAIL(err);
  const std::string base = "threadbank_processing_duration_seconds";

  std::vector<std::pair<double, double>> buckets;  // (le, count)
  bool saw_inf = false;
  double inf_count = -1;
  for (const auto& s : e.samples) {
    if (s.name != base + "_bucket") continue;
    REQUIRE(s.labels.count("le") == 1);
    const std::string& le = s.labels.at("le");
    if (le == "+Inf") {
      saw_inf = true;
      inf_count = s.value;
    } else {
      CHECK_FALSE(saw_inf);  // +Inf comes last
      buckets.emplace_back(std::stod(le), s.value);
    }
  }
  REQUIRE(saw_inf);
  REQUIRE(buckets.size() == HISTOGRAM_BOUNDS_S.size());
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    CHECK(buckets[i].first == HISTOGRAM_BOUNDS_S[i]);
    if (i > 0) {
      CHECK(buckets[i].first > buckets[i - 1].first);
      CHECK(buckets[i].second >= buckets[i - 1].second);  // cumulative
    }
    // Exactly the attempts at or under the bound.
    std::size_t expected = 0;
    for (auto ns : sc.durations_ns)
      expected += static_cast<double>(ns) / 1e9 <= HISTOGRAM_BOUNDS_S[i];
    INFO("le=" << HISTOGRAM_BOUNDS_S[i]);
    CHECK(buckets[i].second == static_cast<double>(expected));
  }
  auto count = value_of(e, base + "_count");
  auto sum = value_of(e, base + "_sum");
  REQUIRE(count.has_value());
  REQUIRE(sum.has_value());
  CHECK(inf_count == *count);
  CHECK(*count == static_cast<double>(sc.durations_ns.size()));
  CHECK(buckets.back().second < *count);  // the 60 s attempt is only in +Inf
  double expected_sum = 0;
  for (auto ns : sc.durations_ns) expected_sum += static_cast<double>(ns) / 1e9;
  CHECK(*sum == Approx(expected_sum));
  // The same attempts as metrics().processing.
  CHECK(sc.h.engine->metrics().processing.count == sc.durations_ns.size());
}

namespace {

// Significant digits of a number's text: "0.00025" has 2, "30" has 1, "1.5e+20" has 2.
int significant_digits(const std::string& text) {
  std::string mantissa = text.substr(0, text.find_first_of("eE"));
  std::string digits;
  for (char c : mantissa) {
    if (c >= '0' && c <= '9') digits += c;
  }
  digits.erase(0, digits.find_first_not_of('0'));
  if (mantissa.find('.') == std::string::npos) digits.erase(digits.find_last_not_of('0') + 1);
  return static_cast<int>(digits.size());
}

}  // namespace

TEST_CASE("histogram bucket labels print in their shortest exact form", "[prometheus][histogram]") {
  Scenario sc(EngineConfig{});
  std::string text = sc.h.engine->prometheus_text();
  Exposition e = parse(text);
  for (const auto& err : e.errors) FAIL(err);
  std::vector<std::string> les;
  for (const auto& s : e.samples) {
    if (s.name == "threadbank_processing_duration_seconds_bucket") les.push_back(s.labels.at("le"));
  }
  // What people write in selectors, e.g. {le="0.00025"}.
  const std::vector<std::string> expected = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                                             "0.005",  "0.01",    "0.025",  "0.05",  "0.1",
                                             "0.25",   "1",       "5",      "30",    "+Inf"};
  CHECK(les == expected);
  CHECK(text.find(",le=\"0.00025\"} ") != std::string::npos);
}

TEST_CASE("every sample value reads back exactly, in as few digits as that takes", "[prometheus]") {
  Scenario sc(EngineConfig{});
  Exposition e = parse(sc.h.engine->prometheus_text());
  for (const auto& err : e.errors) FAIL(err);
  REQUIRE(!e.samples.empty());
  for (const auto& s : e.samples) {
    INFO(s.name << " " << s.text);
    if (s.text == "+Inf") continue;
    // Fewer digits would not read back as the same double (stod of the text is s.value).
    int digits = significant_digits(s.text);
    if (digits > 1) {
      char shorter[512];
      std::snprintf(shorter, sizeof shorter, "%.*g", digits - 1, s.value);
      CHECK(std::stod(shorter) != s.value);
    }
  }
  // Values the scenario makes with many digits read back as exactly the same double.
  SystemMetrics m = sc.h.engine->metrics();
  auto exact = [&](const std::string& name, double expected) {
    INFO(name);
    bool found = false;
    for (const auto& s : e.samples) {
      if (s.name != name) continue;
      found = true;
      CHECK(std::stod(s.text) == expected);
    }
    CHECK(found);
  };
  exact("threadbank_uptime_seconds", static_cast<double>(m.uptime_ms) / 1e3);
  exact("threadbank_load_ratio", m.current_load);
  exact("threadbank_success_ratio", m.success_rate);
  exact("threadbank_throughput_per_second", m.throughput_per_s);
  bool long_value = false;  // at least one value needs more than a few digits
  for (const auto& s : e.samples) long_value = long_value || significant_digits(s.text) > 6;
  CHECK(long_value);
}
