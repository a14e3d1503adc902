#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "metrics/text_format.hpp"

namespace weir::metrics {

Bounds make_bounds(std::vector<double> upper_bounds) {
  if (!upper_bounds.empty() && std::isinf(upper_bounds.back()) && upper_bounds.back() > 0) {
    upper_bounds.pop_back();
  }
  if (upper_bounds.empty()) {
    throw std::invalid_argument("histogram bounds: need at least one finite upper bound");
  }

  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    const double bound = upper_bounds[i];
    if (!std::isfinite(bound)) {
      throw std::invalid_argument(
          fmt::format("histogram bounds: bound {} is '{}', not a finite number", i, bound));
    }
    if (i > 0 && !(upper_bounds[i - 1] < bound)) {
      throw std::invalid_argument(
          fmt::format("histogram bounds: bound {} is '{}', not greater than the one before ('{}')",
                      i, bound, upper_bounds[i - 1]));
    }
  }
  return std::make_shared<const std::vector<double>>(std::move(upper_bounds));
}

Histogram::Histogram(Bounds bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_->size() + 1)) {}

Histogram::Histogram(std::vector<double> upper_bounds)
    : Histogram(make_bounds(std::move(upper_bounds))) {}

void Histogram::observe(double seconds) noexcept {
  if (std::isnan(seconds)) return;

  // A binary search over a dozen doubles; lower_bound finds the first bound >= seconds, which
  // is the bucket's `le` meaning. Past the last bound it yields the +Inf slot.
  const auto& bounds = *bounds_;
  const auto slot = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  counts_[slot].fetch_add(1, std::memory_order_relaxed);

  sum_.fetch_add(seconds, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative.reserve(bounds_->size() + 1);

  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_->size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

void Histogram::render(std::string& out, std::string_view name,
                       std::span<const std::string> label_names,
                       std::span<const std::string> label_values) const {
  const Snapshot snap = snapshot();
  const auto& bounds = *bounds_;

  std::string le;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    le.clear();
    if (i < bounds.size()) {
      append_value(le, bounds[i]);
    } else {
      le = "+Inf";
    }
    out += name;
    out += "_bucket";
    append_labels(out, label_names, label_values, "le", le);
    out += ' ';
    append_value(out, snap.cumulative[i]);
    out += '\n';
  }

  out += name;
  out += "_sum";
  append_labels(out, label_names, label_values);
  out += ' ';
  append_value(out, snap.sum);
  out += '\n';

  out += name;
  out += "_count";
  append_labels(out, label_names, label_values);
  out += ' ';
  append_value(out, snap.count);
  out += '\n';
}

}  // namespace weir::metrics
