#include "store/redis_store_options.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;

TEST(RedisStoreOptionsTest, TakesTheStoreSectionOfTheConfiguration) {
  config::StoreConfig store;
  store.backend = config::StoreBackend::kRedis;
  config::RedisUrl url;
  url.host = "10.0.0.5";
  url.port = 6380;
  url.db = 2;
  url.password = "s3cret";
  store.redis_url = url;
  store.timeout = 20ms;
  store.connections = 8;
  store.on_error = config::StoreErrorPolicy::kDeny;
  store.instances = 3;

  const RedisStoreOptions options = RedisStoreOptions::from_config(store);
  EXPECT_EQ(options.url, url);
  EXPECT_EQ(options.timeout, 20ms);
  EXPECT_EQ(options.connections, 8u);
  EXPECT_EQ(options.on_error, RedisFailurePolicy::kDeny);
  EXPECT_EQ(options.instances, 3u);
}

TEST(RedisStoreOptionsTest, MapsEveryFailurePolicy) {
  config::StoreConfig store;
  store.on_error = config::StoreErrorPolicy::kAllow;
  EXPECT_EQ(RedisStoreOptions::from_config(store).on_error, RedisFailurePolicy::kAllow);
  store.on_error = config::StoreErrorPolicy::kLocal;
  EXPECT_EQ(RedisStoreOptions::from_config(store).on_error, RedisFailurePolicy::kLocal);
}

TEST(RedisStoreOptionsTest, DefaultsMatchTheConfigurationDefaults) {
  const config::StoreConfig store;
  const RedisStoreOptions options;
  EXPECT_EQ(options.timeout, store.timeout);
  EXPECT_EQ(options.connections, store.connections);
  EXPECT_EQ(options.instances, store.instances);
  EXPECT_EQ(options.on_error, RedisFailurePolicy::kLocal);
  EXPECT_EQ(options.url.host, "127.0.0.1");
  EXPECT_EQ(options.url.port, 6379);
}

}  // namespace
}  // namespace weir
