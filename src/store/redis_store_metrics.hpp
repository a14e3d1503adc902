// weir::RedisStoreMetrics: the Redis store's metrics, declared in one place.
//
//   weir::metrics::Registry registry;
//   weir::RedisStoreMetrics metrics(registry);
//   weir::RedisStore store(contexts, options, local, &metrics);
//
//   weir_store_requests_total{result}   decisions by how they were made: ok (by Redis), error
//                                       (policy: refused, lost or error reply), timeout
//                                       (policy: no answer in time), fallback (policy without
//                                       asking Redis: circuit breaker open)
//   weir_store_latency_seconds          from decide() to Redis's answer or the timeout
//   weir_store_fallback_active          1 while the circuit breaker is open, else 0
//   weir_store_round_trips_total        writes of pipelined commands to Redis (decisions, and
//                                       ban and block calls); divided by
//                                       weir_store_requests_total it is round trips per request
#pragma once

#include <array>

#include "metrics/registry.hpp"

namespace weir {

// Upper bounds in seconds: a Redis on the same host answers in tens of microseconds, one across
// a data centre in a millisecond or two; the top buckets catch timeouts.
inline constexpr std::array<double, 14> kRedisLatencyBounds = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

// Registers on construction (throws std::invalid_argument when a name is taken: once per
// registry). The registry must outlive this; every member is lock-free to update.
struct RedisStoreMetrics {
  explicit RedisStoreMetrics(metrics::Registry& registry);

  metrics::Counter& ok;
  metrics::Counter& error;
  metrics::Counter& timeout;
  metrics::Counter& fallback;
  metrics::Histogram& latency;
  metrics::Gauge& fallback_active;
  metrics::Counter& round_trips;

 private:
  RedisStoreMetrics(metrics::Registry& registry, metrics::Family<metrics::Counter>& requests);
};

}  // namespace weir
