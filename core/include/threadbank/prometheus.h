#pragma once
/// @file prometheus.h
/// @brief Prometheus text exposition (format 0.0.4) of the same numbers as the metrics
/// snapshots, so dashboards and getSystemMetrics() never disagree.

#include <string>
#include <vector>

#include "threadbank/metrics.h"

namespace threadbank {

struct PrometheusInput {
  const SystemMetrics* system = nullptr;
  const std::vector<WorkerStatus>* workers = nullptr;
  const std::vector<BankInfo>* banks = nullptr;
  const DurationStats* processing = nullptr;  ///< for the histogram
  std::string manager;                        ///< value of the `manager` label
};

std::string prometheus_text(const PrometheusInput& input);

}  // namespace threadbank
