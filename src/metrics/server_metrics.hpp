// weir::metrics::ServerMetrics: every metric a weir server exports, declared in one place: the
// HTTP metrics below and the standard process metrics. docs/metrics.md describes each name,
// type and label for operators.
//
//   weir::metrics::Registry registry;
//   weir::metrics::ServerMetrics metrics(registry);
//   metrics.requests.with({method_label(request.method()), rule.prefix(), "200"}).inc();
//   metrics.rate_limited.with({reason::kRateLimit}).inc();
//   metrics.decision_duration.observe(std::chrono::nanoseconds(850));
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "metrics/registry.hpp"

namespace weir::metrics {

// The `reason` label values of http_rate_limited_total. Each has a series from start-up, so
// rate() sees its first rejection instead of the series appearing already at 1.
namespace reason {
inline constexpr std::string_view kRateLimit = "rate_limit";  // a rule's limit was exceeded
inline constexpr std::string_view kBlocklist = "blocklist";   // the client is in a blocked range
inline constexpr std::string_view kBan = "ban";               // the client is temporarily banned
inline constexpr std::string_view kShed = "shed";             // refused to shed overload
inline constexpr std::string_view kConnectionLimit = "connection_limit";  // too many connections
// Every reason; a value outside this list is counted under reason="other" (the family's
// overflow child), so a new reason must be added here.
inline constexpr std::array<std::string_view, 5> kAll = {kRateLimit, kBlocklist, kBan, kShed,
                                                         kConnectionLimit};
}  // namespace reason

// The `kind` label values of weir_upstream_errors_total, each with a series from start-up.
namespace upstream_error {
inline constexpr std::string_view kConnect = "connect";    // no connection (refused, no route)
inline constexpr std::string_view kTimeout = "timeout";    // the upstream did not answer in time
inline constexpr std::string_view kClosed = "closed";      // it closed or reset mid-exchange
inline constexpr std::string_view kProtocol = "protocol";  // it answered with malformed HTTP
inline constexpr std::array<std::string_view, 4> kAll = {kConnect, kTimeout, kClosed, kProtocol};
}  // namespace upstream_error

// The `path` label for a request that matched no rule and no built-in route. The raw request
// path is never a label value: clients choose it, so it would make series without bound.
inline constexpr std::string_view kOtherPath = "other";

// The `method` label for a method that is not one of the standard nine.
inline constexpr std::string_view kOtherMethod = "other";

// Upper bounds in seconds. Whole requests span 100us (a rejection answered from memory) to 10s
// (a slow upstream); decisions span 1us (an in-memory token bucket) to 10ms (a slow Redis).
inline constexpr std::array<double, 16> kRequestDurationBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
inline constexpr std::array<double, 13> kDecisionDurationBounds = {
    0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001,
    0.00025,  0.0005,    0.001,    0.0025,  0.005,    0.01};

// The `method` label for an HTTP method: the method itself when it is one of the nine of RFC
// 9110 and RFC 5789 (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH), "other"
// otherwise, so that invented methods cannot make series. Case-sensitive, as methods are.
std::string_view method_label(std::string_view method) noexcept;

// Registers the metrics, then the process metrics, on construction (throws std::invalid_argument if
// a name is taken) and holds references into the registry, which must outlive it. Every member is
// thread-safe and lock-free to update; see Family for the cost of with().
struct ServerMetrics {
  // Bounds the series of http_requests_total: 9 methods + other, times the rules' paths, times
  // the statuses weir answers with.
  static constexpr std::size_t kMaxRequestSeries = 2000;

  explicit ServerMetrics(Registry& registry, std::size_t max_request_series = kMaxRequestSeries);

  // http_requests_total{method,path,status}: every request, rejected ones included.
  Family<Counter>& requests;
  // http_rate_limited_total{reason}: requests (and, for connection_limit, connections) refused.
  Family<Counter>& rate_limited;
  // http_active_connections: client connections open now; inc() on accept, dec() on close.
  Gauge& active_connections;
  // http_request_duration_seconds: from the request's first byte read to its response written.
  Histogram& request_duration;
  // weir_decision_duration_seconds: time to decide allow or reject, store round trip included.
  Histogram& decision_duration;
  // weir_upstream_errors_total{kind}: proxied requests that failed on the upstream side.
  Family<Counter>& upstream_errors;
};

}  // namespace weir::metrics
