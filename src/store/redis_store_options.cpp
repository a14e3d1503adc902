#include "store/redis_store_options.hpp"

#include "config/config.hpp"

namespace weir {

RedisStoreOptions RedisStoreOptions::from_config(const config::StoreConfig& config) {
  RedisStoreOptions options;
  if (config.redis_url) options.url = *config.redis_url;
  options.timeout = config.timeout;
  options.connections = config.connections;
  options.instances = config.instances;
  switch (config.on_error) {
    case config::StoreErrorPolicy::kAllow:
      options.on_error = RedisFailurePolicy::kAllow;
      break;
    case config::StoreErrorPolicy::kDeny:
      options.on_error = RedisFailurePolicy::kDeny;
      break;
    case config::StoreErrorPolicy::kLocal:
      options.on_error = RedisFailurePolicy::kLocal;
      break;
  }
  return options;
}

}  // namespace weir
