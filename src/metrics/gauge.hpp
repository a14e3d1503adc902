// weir::metrics::Gauge: a value that goes up and down, such as open connections.
//
//   weir::metrics::Gauge& open = registry.gauge("open_things", "Things open now.");
//   open.inc();
//   open.dec();
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace weir::metrics {

// A signed 64-bit gauge. Thread-safe and lock-free: every update is one relaxed atomic
// operation with no allocation. Values that are not integers (ratios, seconds) are better
// computed at scrape time with Registry::callback_gauge.
class alignas(64) Gauge {
 public:
  static constexpr std::string_view kType = "gauge";

  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(std::int64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void inc(std::int64_t by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(std::int64_t by = 1) noexcept { value_.fetch_sub(by, std::memory_order_relaxed); }

  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  // Appends this gauge's sample line under `name` with the given labels.
  void render(std::string& out, std::string_view name, std::span<const std::string> label_names,
              std::span<const std::string> label_values) const;

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace weir::metrics
