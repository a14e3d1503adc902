// weir::RedisStoreOptions: how the Redis store connects and what it does when Redis cannot
// answer.
//
//   weir::RedisStoreOptions options = weir::RedisStoreOptions::from_config(config.store);
//   options.timeout = std::chrono::milliseconds(20);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/redis_url.hpp"

namespace weir {

namespace config {
struct StoreConfig;
}

// What a request gets when Redis cannot decide it (down, too slow, or an unusable reply).
enum class RedisFailurePolicy : std::uint8_t {
  kAllow,  // fail open: admitted
  kDeny,   // fail closed: StoreResult.unavailable, retry after a second
  kLocal,  // decided in this process, each limit's requests divided by `instances`
};

struct RedisStoreOptions {
  // Default: redis://127.0.0.1:6379/0.
  config::RedisUrl url = [] {
    config::RedisUrl local;
    local.host = "127.0.0.1";
    return local;
  }();
  // Connect and command timeout. A request without an answer by then is decided by the policy
  // and never sent again: the script may already have counted it.
  std::chrono::milliseconds timeout{50};
  // Connections per weir process (per master, against a Redis Cluster), spread over the
  // io_contexts (see RedisStore).
  std::uint32_t connections = 2;
  RedisFailurePolicy on_error = RedisFailurePolicy::kLocal;
  // weir processes sharing this Redis; under kLocal each enforces requests / instances.
  std::uint32_t instances = 1;
  // Every key starts with this, then the hash tag: "weir:{rule:client}:log".
  std::string key_prefix = "weir";

  // Consecutive failures that open the circuit breaker, and how often it then lets one request
  // through to see whether Redis is back.
  int failures_to_open = 3;
  std::chrono::milliseconds probe_interval{250};
  // Reconnect attempts start after 10ms and double up to this.
  std::chrono::milliseconds max_reconnect_backoff{200};

  // The store section of weir's configuration: url, timeout, connections, on_error, instances.
  // Precondition: config.redis_url is set (the loader guarantees it for the redis backend).
  static RedisStoreOptions from_config(const config::StoreConfig& config);
};

}  // namespace weir
