// Black-box: several weir processes sharing one real Redis, and what each failure policy does
// when that Redis goes away and comes back.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

std::string redis_config(const testing::RedisServer& redis, std::string_view on_error, int requests,
                         std::string_view extra = "") {
  return "store:\n  backend: redis\n  redis_url: \"redis://127.0.0.1:" +
         std::to_string(redis.port()) + "/0\"\n  on_error: " + std::string(on_error) +
         "\n  instances: 2\n  timeout: 100ms\nlimits:\n  default: { requests: " +
         std::to_string(requests) + ", window: 60s }\n" + std::string(extra);
}

int status_of(std::uint16_t port) {
  auto reply = http_exchange(port, get_request("/api/data"));
  return reply ? reply->status : -1;
}

TEST(RedisBlackBox, TwoInstancesAdmitExactlyTheLimitTogether) {
  testing::RedisServer redis;
  WeirProcess a(redis_config(redis, "deny", 50));
  WeirProcess b(redis_config(redis, "deny", 50));

  // Eight concurrent clients, all one identity (loopback), spread over both instances.
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      HttpConnection connection(t % 2 == 0 ? a.port() : b.port());
      for (int i = 0; i < 25; ++i) {
        if (!connection.send(get_request("/api/data"))) return;
        auto reply = connection.read();
        if (!reply) return;
        if (reply->status == 200) ++admitted;
        if (reply->status == 429) ++refused;
      }
    });
  }
  for (auto& c : clients)
    c.join();
  EXPECT_EQ(admitted.load(), 50);
  EXPECT_EQ(refused.load(), 150);
}

TEST(RedisBlackBox, DenyPolicyAnswersServiceUnavailableWhileRedisIsDown) {
  testing::RedisServer redis;
  WeirProcess weir(redis_config(redis, "deny", 1000));
  EXPECT_EQ(status_of(weir.port()), 200);

  redis.stop();
  auto reply = http_exchange(weir.port(), get_request("/api/data"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  EXPECT_FALSE(reply->header("retry-after").empty());

  // Back within a second or so of Redis's return.
  redis.start();
  int status = 0;
  for (int i = 0; i < 60 && status != 200; ++i) {
    status = status_of(weir.port());
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(weir.stop(), 0);
}

TEST(RedisBlackBox, LocalPolicyKeepsEnforcingEachInstancesShare) {
  testing::RedisServer redis;
  WeirProcess weir(redis_config(redis, "local", 10));
  redis.stop();

  // With Redis gone, this instance enforces 10 / instances(2) = 5 on its own.
  int admitted = 0;
  for (int i = 0; i < 12; ++i)
    admitted += status_of(weir.port()) == 200;
  EXPECT_EQ(admitted, 5);

  auto metrics = http_exchange(weir.metrics_port(), get_request("/metrics"))->body;
  EXPECT_EQ(metric_value(metrics, "weir_store_fallback_active"), 1);
  EXPECT_EQ(weir.stop(), 0);
}

TEST(RedisBlackBox, AllowPolicyFailsOpen) {
  testing::RedisServer redis;
  WeirProcess weir(redis_config(redis, "allow", 1));
  redis.stop();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(status_of(weir.port()), 200);
  EXPECT_EQ(weir.stop(), 0);
}

TEST(RedisBlackBox, UnreachableRedisAtStartUpIsNotACrash) {
  testing::RedisServer redis;
  std::string config = redis_config(redis, "deny", 5);
  redis.stop();
  WeirProcess weir(config);
  EXPECT_EQ(status_of(weir.port()), 503);
  EXPECT_EQ(weir.stop(), 0);
}

TEST(RedisBlackBox, BansWorkWithTheRedisStoreOnEachInstance) {
  testing::RedisServer redis;
  WeirProcess weir(
      redis_config(redis, "deny", 2, "ban: { after: 2, within: 60s, duration: 1m }\n"));
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i)
    statuses.push_back(status_of(weir.port()));
  // Two admitted, two rejected (the second starts the ban), then banned.
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429, 429, 403}));
  EXPECT_EQ(weir.stop(), 0);
}

}  // namespace
}  // namespace weir::test
