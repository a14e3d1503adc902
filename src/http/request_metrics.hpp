// weir::http::RequestMetrics: the request path's handle on the server's metrics
// (metrics::ServerMetrics). It resolves each label combination of http_requests_total once per
// thread and caches the counter, so counting a request is a hash lookup and an atomic add,
// never the family's lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>

#include "metrics/server_metrics.hpp"

namespace weir::http {

enum class RejectReason : std::uint8_t {
  kRateLimit,
  kBlocklist,
  kBan,
  kShed,
  kConnectionLimit,
  kCount
};

// One per thread: the children this thread has used.
class RequestCounterCache {
 public:
  metrics::Counter& get(metrics::Family<metrics::Counter>& family, std::string_view method,
                        std::string_view route, int status);

 private:
  std::string key_;  // reused to build lookup keys without allocating
  absl::flat_hash_map<std::string, metrics::Counter*> children_;
};

// Thread-safe; holds references into `metrics`, which must outlive it.
class RequestMetrics {
 public:
  explicit RequestMetrics(metrics::ServerMetrics& metrics);

  // http_requests_total{method,path,status}. `method` is the request's method text (any text:
  // it is mapped to a bounded label); `route` must come from a fixed set.
  void count_request(RequestCounterCache& cache, std::string_view method, std::string_view route,
                     int status) {
    cache.get(metrics_.requests, metrics::method_label(method), route, status).inc();
  }

  // http_rate_limited_total{reason}
  void count_rejection(RejectReason reason) { rejections_[static_cast<int>(reason)]->inc(); }
  std::uint64_t rejections(RejectReason reason) const {
    return rejections_[static_cast<int>(reason)]->value();
  }

  void connection_opened() { metrics_.active_connections.inc(); }
  void connection_closed() { metrics_.active_connections.dec(); }

  void observe_decision(std::chrono::nanoseconds d) { metrics_.decision_duration.observe(d); }
  void observe_request(std::chrono::nanoseconds d) { metrics_.request_duration.observe(d); }

  // weir_upstream_errors_total{kind}; `kind` is one of metrics::upstream_error::kAll. Takes the
  // family's shared lock, which is fine for failures.
  void count_upstream_error(std::string_view kind) { metrics_.upstream_errors.with({kind}).inc(); }

 private:
  metrics::ServerMetrics& metrics_;
  metrics::Counter* rejections_[static_cast<int>(RejectReason::kCount)];
};

}  // namespace weir::http
