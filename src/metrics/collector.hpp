// weir::metrics::Collector: anything a Registry can render, one metric family at a time.
//
// Families of counters, gauges and histograms, and metrics computed by a callback at scrape
// time, all implement it; the Registry owns them and renders them in registration order.
#pragma once

#include <string>
#include <string_view>

namespace weir::metrics {

class Collector {
 public:
  virtual ~Collector() = default;

  // The family's metric name, unique within a Registry.
  virtual std::string_view name() const = 0;

  // Appends `# HELP`, `# TYPE` and every sample line of this family in the text format 0.0.4.
  // Thread-safe: runs concurrently with updates from request threads, which it never blocks
  // for longer than a copy of the child list.
  virtual void collect(std::string& out) const = 0;
};

}  // namespace weir::metrics
