#include "metrics/server_metrics.hpp"

#include <vector>

#include "metrics/process_metrics.hpp"

namespace weir::metrics {
namespace {

constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

template <std::size_t N>
std::vector<double> to_vector(const std::array<double, N>& bounds) {
  return {bounds.begin(), bounds.end()};
}

}  // namespace

std::string_view method_label(std::string_view method) noexcept {
  for (std::string_view known : kKnownMethods) {
    if (method == known) return known;
  }
  return kOtherMethod;
}

ServerMetrics::ServerMetrics(Registry& registry, std::size_t max_request_series)
    : requests(registry.counter_family(
          "http_requests_total",
          "HTTP requests received, rejected ones included, by method, matched rule path and "
          "response status.",
          {"method", "path", "status"}, max_request_series)),
      rate_limited(registry.counter_family("http_rate_limited_total",
                                           "Requests or connections refused by weir, by reason.",
                                           {"reason"}, reason::kAll.size())),
      active_connections(
          registry.gauge("http_active_connections", "Client connections currently open.")),
      request_duration(
          registry.histogram("http_request_duration_seconds",
                             "Time from reading a request to writing its response, in seconds.",
                             to_vector(kRequestDurationBounds))),
      decision_duration(
          registry.histogram("weir_decision_duration_seconds",
                             "Time to decide whether to allow or reject a request, in seconds.",
                             to_vector(kDecisionDurationBounds))),
      upstream_errors(registry.counter_family(
          "weir_upstream_errors_total",
          "Proxied requests that failed on the upstream side, by kind of failure.", {"kind"},
          upstream_error::kAll.size())) {
  for (std::string_view why : reason::kAll)
    rate_limited.with({why});
  for (std::string_view kind : upstream_error::kAll)
    upstream_errors.with({kind});
  register_process_metrics(registry);
}

}  // namespace weir::metrics
