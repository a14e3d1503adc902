// weir::metrics::Counter: a monotonically increasing count of events.
//
//   weir::metrics::Counter& served = registry.counter("served_total", "Requests served.");
//   served.inc();
//
// This and the other files in src/metrics/ are weir's own small Prometheus client, written
// because Debian 12 packages no Prometheus client library for C++.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace weir::metrics {

// A counter of events as an unsigned 64-bit integer. Thread-safe and lock-free: inc() is one
// relaxed atomic add, no lock and no allocation, so it belongs on the request path.
//
// Each counter fills a cache line of its own, so two hot counters updated by different threads
// never share a line. The counter is not sharded per thread: an uncontended relaxed add costs
// about as much as the branch that would pick a shard (see docs/metrics.md for the numbers).
class alignas(64) Counter {
 public:
  static constexpr std::string_view kType = "counter";

  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }

  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  // Appends this counter's sample line under `name` with the given labels.
  void render(std::string& out, std::string_view name, std::span<const std::string> label_names,
              std::span<const std::string> label_values) const;

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace weir::metrics
