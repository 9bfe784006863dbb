#include "threadbank/prometheus.h"

#include <sstream>

#include "threadbank/events.h"
#include "threadbank/number_text.h"

namespace threadbank {
namespace {

// Label values escape backslash, quote and newline, as the exposition format requires.
std::string escape(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  explicit Writer(std::string manager) : manager_("manager=\"" + escape(manager) + "\"") {}

  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const std::string& name, const std::string& labels, double value) {
    out_ << name << '{' << manager_ << (labels.empty() ? "" : ",") << labels << "} "
         << shortest_number(value) << '\n';
  }
  std::string text() const { return out_.str(); }

 private:
  std::string manager_;
  std::ostringstream out_;
};

std::string label(const char* key, const std::string& value) {
  return std::string(key) + "=\"" + escape(value) + "\"";
}

}  // namespace

std::string prometheus_text(const PrometheusInput& in) {
  Writer w(in.manager);
  const SystemMetrics& s = *in.system;

  w.family("threadbank_requests_submitted_total", "counter", "Requests accepted.");
  w.sample("threadbank_requests_submitted_total", "", static_cast<double>(s.total_requests));
  w.family("threadbank_requests_rejected_total", "counter", "Submissions refused at submit time.");
  w.sample("threadbank_requests_rejected_total", "", static_cast<double>(s.rejected));
  w.family("threadbank_requests_finished_total", "counter", "Requests that reached a final status.");
  for (int st = static_cast<int>(RequestStatus::COMPLETED); st < REQUEST_STATUS_COUNT; ++st) {
    w.sample("threadbank_requests_finished_total",
             label("status", request_status_name(static_cast<RequestStatus>(st))),
             static_cast<double>(s.finished[static_cast<std::size_t>(st)]));
  }
  w.family("threadbank_retries_total", "counter", "Attempts beyond the first.");
  w.sample("threadbank_retries_total", "", static_cast<double>(s.retries));
  w.family("threadbank_queue_depth", "gauge", "Requests waiting for a worker.");
  w.sample("threadbank_queue_depth", "", static_cast<double>(s.pending));
  w.family("threadbank_in_flight", "gauge", "Requests assigned to or running on a worker.");
  w.sample("threadbank_in_flight", "", static_cast<double>(s.in_flight));
  w.family("threadbank_load_ratio", "gauge", "In-flight attempts over total worker capacity.");
  w.sample("threadbank_load_ratio", "", s.current_load);
  w.family("threadbank_success_ratio", "gauge", "Completed over finished requests.");
  w.sample("threadbank_success_ratio", "", s.success_rate);
  w.family("threadbank_throughput_per_second", "gauge", "Requests finished per second, last 10 s.");
  w.sample("threadbank_throughput_per_second", "", s.throughput_per_s);
  w.family("threadbank_uptime_seconds", "gauge", "Time since the manager started.");
  w.sample("threadbank_uptime_seconds", "", static_cast<double>(s.uptime_ms) / 1e3);

  if (in.processing != nullptr) {
    w.family("threadbank_processing_duration_seconds", "histogram",
             "Time from the start of an attempt to its end.");
    auto buckets = in.processing->cumulative_buckets();
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      // The shortest exact text: a bound must read as people write it (le="0.00025"), or
      // selectors on the label never match.
      w.sample("threadbank_processing_duration_seconds_bucket",
               label("le", shortest_number(HISTOGRAM_BOUNDS_S[i])),
               static_cast<double>(buckets[i]));
    }
    w.sample("threadbank_processing_duration_seconds_bucket", label("le", "+Inf"),
             static_cast<double>(in.processing->total_count()));
    w.sample("threadbank_processing_duration_seconds_sum", "", in.processing->total_seconds());
    w.sample("threadbank_processing_duration_seconds_count", "",
             static_cast<double>(in.processing->total_count()));
  }

  if (in.banks != nullptr) {
    w.family("threadbank_bank_queue_depth", "gauge", "Requests waiting, per bank.");
    for (const auto& b : *in.banks) {
      w.sample("threadbank_bank_queue_depth", label("bank", b.id), static_cast<double>(b.queue_depth));
    }
    w.family("threadbank_bank_concurrency_limit", "gauge", "In-flight limit, per bank.");
    for (const auto& b : *in.banks) {
      w.sample("threadbank_bank_concurrency_limit", label("bank", b.id), b.concurrency);
    }
  }

  if (in.workers != nullptr) {
    auto worker_labels = [](const WorkerStatus& ws) {
      return label("bank", ws.bank) + "," + label("worker", ws.worker_id);
    };
    w.family("threadbank_worker_tasks_total", "counter", "Attempts a worker finished, by outcome.");
    for (const auto& ws : *in.workers) {
      w.sample("threadbank_worker_tasks_total", worker_labels(ws) + "," + label("outcome", "completed"),
               static_cast<double>(ws.tasks_completed));
      w.sample("threadbank_worker_tasks_total", worker_labels(ws) + "," + label("outcome", "failed"),
               static_cast<double>(ws.tasks_failed));
    }
    w.family("threadbank_worker_busy_seconds_total", "counter", "Time a worker held work.");
    for (const auto& ws : *in.workers) {
      w.sample("threadbank_worker_busy_seconds_total", worker_labels(ws),
               static_cast<double>(ws.busy_ns) / 1e9);
    }
    w.family("threadbank_worker_in_flight", "gauge", "Attempts a worker holds now.");
    for (const auto& ws : *in.workers) {
      w.sample("threadbank_worker_in_flight", worker_labels(ws), ws.inflight);
    }
    w.family("threadbank_worker_restarts_total", "counter", "Times a worker was replaced.");
    for (const auto& ws : *in.workers) {
      w.sample("threadbank_worker_restarts_total", worker_labels(ws), ws.restarts);
    }
  }
  return w.text();
}

}  // namespace threadbank
