// Black-box: several weir processes sharing one real Redis, and what each failure policy does
// when that Redis goes away and comes back.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/redis_server.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

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

TEST(RedisBlackBox, BansWorkWithTheRedisStore) {
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

// Clients are told apart by X-Forwarded-For from the loopback proxy; the admin API is on.
const std::string kToken = "redis-admin-token-0123456789";
const std::string kShared = R"(client_ip: { trusted_proxies: ["127.0.0.0/8"] }
admin: { token: "redis-admin-token-0123456789" }
ban: { after: 2, within: 60s, duration: 1m }
)";

int status_for(const WeirProcess& weir, const std::string& client) {
  auto reply =
      http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: " + client + "\r\n"));
  return reply ? reply->status : -1;
}

TEST(RedisBlackBox, ABanStartedThroughOneInstanceIsEnforcedByTheOther) {
  testing::RedisServer redis;
  WeirProcess a(redis_config(redis, "deny", 2, kShared));
  WeirProcess b(redis_config(redis, "deny", 2, kShared));

  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i)
    statuses.push_back(status_for(a, "203.0.113.7"));
  ASSERT_EQ(statuses, (std::vector<int>{200, 200, 429, 429}));  // the second 429 bans

  auto refused =
      http_exchange(b.port(), get_request("/api/data", "X-Forwarded-For: 203.0.113.7\r\n"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("banned"), std::string::npos) << refused->body;
  EXPECT_EQ(status_for(b, "203.0.113.8"), 200);

  auto listed = admin_request(b.metrics_port(), "GET", "/admin/bans", kToken);
  ASSERT_TRUE(listed);
  EXPECT_NE(listed->body.find("\"total\":1"), std::string::npos) << listed->body;
  EXPECT_NE(listed->body.find("203.0.113.7"), std::string::npos) << listed->body;
  EXPECT_TRUE(eventually([&] { return scrape(b.metrics_port(), "weir_bans_active") == 1; }));

  // Lifted through b: a lets the client reach its limit again (429, not 403) within a second
  // or so, the time it may trust the ban it has seen.
  auto lifted = admin_request(b.metrics_port(), "DELETE", "/admin/bans/203.0.113.7", kToken);
  ASSERT_TRUE(lifted);
  EXPECT_EQ(lifted->status, 200) << lifted->body;
  EXPECT_EQ(status_for(b, "203.0.113.7"), 429);
  EXPECT_TRUE(eventually([&] { return status_for(a, "203.0.113.7") == 429; }, 3s));
}

TEST(RedisBlackBox, ABlockPutThroughOneInstanceIsEnforcedByTheOther) {
  testing::RedisServer redis;
  WeirProcess a(redis_config(redis, "deny", 1000, kShared));
  WeirProcess b(redis_config(redis, "deny", 1000, kShared));
  ASSERT_EQ(status_for(b, "198.51.100.9"), 200);

  auto put = admin_request(a.metrics_port(), "PUT", "/admin/blocks/198.51.100.0%2F24", kToken);
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(status_for(a, "198.51.100.9"), 403);  // at once where it was put

  // b reads the blocks once a second.
  EXPECT_TRUE(eventually([&] { return status_for(b, "198.51.100.9") == 403; }, 3s));
  EXPECT_EQ(status_for(b, "203.0.113.1"), 200);
  EXPECT_EQ(scrape(b.metrics_port(), "weir_dynamic_blocks"), 1);

  auto removed =
      admin_request(b.metrics_port(), "DELETE", "/admin/blocks/198.51.100.0%2F24", kToken);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200) << removed->body;
  EXPECT_EQ(status_for(b, "198.51.100.9"), 200);
  EXPECT_TRUE(eventually([&] { return status_for(a, "198.51.100.9") == 200; }, 3s));
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

TEST(RedisBlackBox, AdminChangesWhileRedisIsDownAnswerUnavailableNotNotFound) {
  testing::RedisServer redis;
  WeirProcess weir(redis_config(redis, "deny", 1000, kShared));
  auto put = admin_request(weir.metrics_port(), "PUT", "/admin/blocks/198.51.100.0%2F24", kToken);
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  redis.stop();

  // The block is still in Redis, and no ban could be checked: "not found" would be untrue.
  auto removed =
      admin_request(weir.metrics_port(), "DELETE", "/admin/blocks/198.51.100.0%2F24", kToken);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 503) << removed->body;
  auto lifted = admin_request(weir.metrics_port(), "DELETE", "/admin/bans/203.0.113.7", kToken);
  ASSERT_TRUE(lifted);
  EXPECT_EQ(lifted->status, 503) << lifted->body;
  auto again = admin_request(weir.metrics_port(), "PUT", "/admin/blocks/10.0.0.0%2F8", kToken);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 503) << again->body;
  EXPECT_EQ(weir.stop(), 0);
}

}  // namespace
}  // namespace weir::test
