// weir::metrics::Registry: owns weir's metrics and renders them for a Prometheus scrape.
//
// weir carries its own small Prometheus client (this folder) because Debian 12 packages none
// for C++. It has counters, gauges and histograms, label families with a bounded number of
// children, metrics computed at scrape time, and the standard process metrics.
//
//   weir::metrics::Registry registry;
//   auto& requests = registry.counter_family("http_requests_total", "HTTP requests.",
//                                            {"method", "path", "status"});
//   requests.with({"GET", "/api/data", "200"}).inc();
//   std::string body = registry.render();  // serve with kTextContentType
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/callback_metric.hpp"
#include "metrics/collector.hpp"
#include "metrics/counter.hpp"
#include "metrics/family.hpp"
#include "metrics/gauge.hpp"
#include "metrics/histogram.hpp"

namespace weir::metrics {

// Thread-safe. Registration belongs to start-up: it throws std::invalid_argument, naming the
// metric and the bad value, for an invalid or duplicate name, an invalid or duplicate label
// name, a max_children of 0, or bad histogram bounds. References returned stay valid for the
// registry's lifetime; metrics are never removed.
class Registry {
 public:
  // Enough for every method x rule x status combination of a typical configuration, and small
  // enough that a scrape stays in the hundreds of kilobytes.
  static constexpr std::size_t kDefaultMaxChildren = 1000;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Unlabelled metrics.
  Counter& counter(std::string name, std::string help);
  Gauge& gauge(std::string name, std::string help);
  Histogram& histogram(std::string name, std::string help, std::vector<double> upper_bounds);

  // Labelled families; see Family for the cardinality bound. Histogram families may not use
  // the label name "le".
  Family<Counter>& counter_family(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::size_t max_children = kDefaultMaxChildren);
  Family<Gauge>& gauge_family(std::string name, std::string help,
                              std::vector<std::string> label_names,
                              std::size_t max_children = kDefaultMaxChildren);
  Family<Histogram>& histogram_family(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds,
                                      std::size_t max_children = kDefaultMaxChildren);

  // Metrics computed by `read` at every scrape. A callback counter must never decrease.
  void callback_gauge(std::string name, std::string help, CallbackMetric::Read read);
  void callback_counter(std::string name, std::string help, CallbackMetric::Read read);

  // The text exposition format 0.0.4: families in registration order, children in creation
  // order, `# HELP` and `# TYPE` once per family (also for a family with no child yet).
  // Never throws except std::bad_alloc.
  std::string render() const;

 private:
  template <typename Metric>
  Family<Metric>& add_family(std::string name, std::string help,
                             std::vector<std::string> label_names, std::size_t max_children,
                             typename Family<Metric>::Factory make);

  void add(std::unique_ptr<Collector> collector);
  void check_name_free(std::string_view name) const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Collector>> collectors_;  // registration order
};

}  // namespace weir::metrics
