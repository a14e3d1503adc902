#include "store/redis_store_metrics.hpp"

#include <vector>

namespace weir {

RedisStoreMetrics::RedisStoreMetrics(metrics::Registry& registry)
    : RedisStoreMetrics(
          registry,
          // Four fixed results, each with a series from start-up so rate() sees the first error.
          registry.counter_family("weir_store_requests_total",
                                  "Store decisions by result: ok (Redis decided), error or "
                                  "timeout (the failure policy decided), fallback (decided "
                                  "without asking Redis while the circuit breaker is open).",
                                  {"result"}, 4)) {}

RedisStoreMetrics::RedisStoreMetrics(metrics::Registry& registry,
                                     metrics::Family<metrics::Counter>& requests)
    : ok(requests.with({"ok"})),
      error(requests.with({"error"})),
      timeout(requests.with({"timeout"})),
      fallback(requests.with({"fallback"})),
      latency(registry.histogram(
          "weir_store_latency_seconds",
          "Time from asking the Redis store to its answer, or to the timeout.",
          std::vector<double>(kRedisLatencyBounds.begin(), kRedisLatencyBounds.end()))),
      fallback_active(registry.gauge(
          "weir_store_fallback_active",
          "1 while Redis is considered down and the failure policy decides, else 0.")),
      round_trips(registry.counter(
          "weir_store_round_trips_total",
          "Writes of pipelined commands to Redis; each carries every command queued since the "
          "previous one.")) {}

}  // namespace weir
