#include "metrics/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "metrics/text_format.hpp"

namespace weir::metrics {
namespace {

void check_metric_name(std::string_view name) {
  if (!is_valid_metric_name(name)) {
    throw std::invalid_argument(
        fmt::format("metric name '{}' is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*", name));
  }
}

void check_label_names(std::string_view metric, const std::vector<std::string>& label_names) {
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!is_valid_label_name(label)) {
      throw std::invalid_argument(fmt::format(
          "metric '{}': label name '{}' is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]* and not "
          "start with '__'",
          metric, label));
    }
    if (std::find(label_names.begin(), label_names.begin() + i, label) != label_names.begin() + i) {
      throw std::invalid_argument(
          fmt::format("metric '{}': label name '{}' is listed twice", metric, label));
    }
  }
}

}  // namespace

Counter& Registry::counter(std::string name, std::string help) {
  return counter_family(std::move(name), std::move(help), {}, 1).with({});
}

Gauge& Registry::gauge(std::string name, std::string help) {
  return gauge_family(std::move(name), std::move(help), {}, 1).with({});
}

Histogram& Registry::histogram(std::string name, std::string help,
                               std::vector<double> upper_bounds) {
  return histogram_family(std::move(name), std::move(help), {}, std::move(upper_bounds), 1)
      .with({});
}

Family<Counter>& Registry::counter_family(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::size_t max_children) {
  return add_family<Counter>(std::move(name), std::move(help), std::move(label_names), max_children,
                             [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge_family(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::size_t max_children) {
  return add_family<Gauge>(std::move(name), std::move(help), std::move(label_names), max_children,
                           [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::histogram_family(std::string name, std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> upper_bounds,
                                              std::size_t max_children) {
  if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end()) {
    throw std::invalid_argument(
        fmt::format("histogram '{}': label name 'le' is reserved for bucket bounds", name));
  }

  Bounds bounds;
  try {
    bounds = make_bounds(std::move(upper_bounds));
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(fmt::format("histogram '{}': {}", name, error.what()));
  }
  return add_family<Histogram>(std::move(name), std::move(help), std::move(label_names),
                               max_children,
                               [bounds] { return std::make_unique<Histogram>(bounds); });
}

void Registry::callback_gauge(std::string name, std::string help, CallbackMetric::Read read) {
  check_metric_name(name);
  add(std::make_unique<CallbackMetric>(std::move(name), std::move(help), "gauge", std::move(read)));
}

void Registry::callback_counter(std::string name, std::string help, CallbackMetric::Read read) {
  check_metric_name(name);
  add(std::make_unique<CallbackMetric>(std::move(name), std::move(help), "counter",
                                       std::move(read)));
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& collector : collectors_)
    collector->collect(out);
  return out;
}

template <typename Metric>
Family<Metric>& Registry::add_family(std::string name, std::string help,
                                     std::vector<std::string> label_names, std::size_t max_children,
                                     typename Family<Metric>::Factory make) {
  check_metric_name(name);
  check_label_names(name, label_names);
  if (max_children == 0) {
    throw std::invalid_argument(
        fmt::format("metric '{}': max_children is 0, it must allow at least one child", name));
  }

  auto family = std::make_unique<Family<Metric>>(
      std::move(name), std::move(help), std::move(label_names), max_children, std::move(make));
  Family<Metric>& result = *family;
  add(std::move(family));
  return result;
}

void Registry::add(std::unique_ptr<Collector> collector) {
  std::lock_guard lock(mutex_);
  check_name_free(collector->name());
  collectors_.push_back(std::move(collector));
}

// Known gap: only whole family names are compared. A histogram `x` also exposes `x_bucket`,
// `x_sum` and `x_count`, and a counter registered as `x_count` would render a second family
// with that sample name, which Prometheus rejects at scrape. weir's own names do not collide;
// catching this needs the derived names of every family kept alongside the collectors.
void Registry::check_name_free(std::string_view name) const {
  for (const auto& collector : collectors_) {
    if (collector->name() == name) {
      throw std::invalid_argument(fmt::format("metric '{}' is registered twice", name));
    }
  }
}

}  // namespace weir::metrics
