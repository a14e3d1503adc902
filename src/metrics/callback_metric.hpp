// weir::metrics::CallbackMetric: a gauge or counter whose value is computed when scraped, for
// values that already live elsewhere (a store's size, the process's CPU time).
//
//   registry.callback_gauge("store_keys", "Keys held by the store.",
//                           [&store] { return static_cast<double>(store.size()); });
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "metrics/collector.hpp"

namespace weir::metrics {

class CallbackMetric final : public Collector {
 public:
  // Called on the scrape thread, once per scrape; must be thread-safe against whatever it reads.
  using Read = std::function<double()>;

  // type is "gauge" or "counter"; only the Registry constructs these, after checking the name.
  CallbackMetric(std::string name, std::string help, std::string_view type, Read read);

  std::string_view name() const override { return name_; }

  // Renders one unlabelled sample. When read() throws, the sample is left out (HELP and TYPE
  // stay) so that one failing source cannot break the whole scrape.
  void collect(std::string& out) const override;

 private:
  const std::string name_;
  const std::string help_;
  const std::string_view type_;
  const Read read_;
};

}  // namespace weir::metrics
