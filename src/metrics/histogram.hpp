// weir::metrics::Histogram: a distribution of durations in fixed buckets.
//
//   auto& latency = registry.histogram("work_duration_seconds", "Time spent working.",
//                                      {0.001, 0.01, 0.1, 1});
//   latency.observe(std::chrono::microseconds(420));  // counted in le="0.001" and above
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::metrics {

// The upper bounds of a histogram's buckets in seconds, strictly increasing and finite, shared
// by every child of a family. The implicit +Inf bucket is not listed.
using Bounds = std::shared_ptr<const std::vector<double>>;

// Checks and freezes bucket bounds. A trailing +Inf is accepted and dropped. Throws
// std::invalid_argument naming the bad bound when the list is empty, holds NaN or -Inf, or is
// not strictly increasing.
Bounds make_bounds(std::vector<double> upper_bounds);

// Thread-safe and lock-free: observe() is one relaxed atomic add on a bucket and one
// compare-and-swap loop on the sum, with no lock and no allocation.
class Histogram {
 public:
  static constexpr std::string_view kType = "histogram";

  // What a scrape sees: cumulative counts per bound (the last entry is +Inf, equal to count),
  // the sum of observations in seconds, and their number.
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    std::uint64_t count = 0;
  };

  explicit Histogram(Bounds bounds);

  // Convenience for a standalone histogram; throws like make_bounds.
  explicit Histogram(std::vector<double> upper_bounds);

  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one observation in seconds; it lands in the first bucket whose bound is >= it.
  // NaN is ignored, since it would turn the sum into NaN for the life of the process.
  void observe(double seconds) noexcept;

  template <typename Rep, typename Period>
  void observe(std::chrono::duration<Rep, Period> elapsed) noexcept {
    observe(std::chrono::duration<double>(elapsed).count());
  }

  const std::vector<double>& bounds() const noexcept { return *bounds_; }

  // The counts are read one bucket at a time while other threads may observe, so a snapshot
  // taken under load can lag the sum by the observations in flight; every count it shows is
  // real and the cumulative counts are always non-decreasing.
  Snapshot snapshot() const;

  // Appends the `_bucket`, `_sum` and `_count` lines under `name` with the given labels.
  void render(std::string& out, std::string_view name, std::span<const std::string> label_names,
              std::span<const std::string> label_values) const;

 private:
  Bounds bounds_;
  // One count per bound plus the +Inf bucket; not cumulative, so observe touches one of them.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

}  // namespace weir::metrics
