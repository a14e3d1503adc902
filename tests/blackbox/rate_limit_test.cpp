// Black-box: the real weir binary, real HTTP on loopback, the reference's scenarios.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

const std::string kLoginBody = R"({"username":"alice","password":"secret"})";

TEST(RateLimitBlackBox, ReferenceCurlScenarioGivesTenOksThenTooManyRequests) {
  WeirProcess weir(std::nullopt);  // the built-in configuration: /api/auth is 10 per 60s

  std::vector<int> statuses;
  for (int i = 0; i < 15; ++i) {
    auto reply = http_exchange(weir.port(), post_request("/api/auth/login", kLoginBody));
    ASSERT_TRUE(reply);
    statuses.push_back(reply->status);
    if (i < 10) {
      EXPECT_EQ(reply->status, 200);
      EXPECT_EQ(reply->header("x-ratelimit-limit"), "10");
      EXPECT_EQ(reply->header("x-ratelimit-remaining"), std::to_string(9 - i));
    } else {
      EXPECT_EQ(reply->status, 429);
      EXPECT_EQ(reply->header("content-type"), "application/json");
      EXPECT_EQ(reply->header("cache-control"), "no-store");
      EXPECT_EQ(reply->header("x-ratelimit-remaining"), "0");
      int retry = std::stoi(reply->header("retry-after"));
      EXPECT_GE(retry, 59);
      EXPECT_LE(retry, 60);
      auto body = nlohmann::json::parse(reply->body);
      EXPECT_EQ(body["error"], "too many requests");
      EXPECT_EQ(body["retry_after"], retry);
      EXPECT_EQ(reply->header("ratelimit-policy"), R"("/api/auth";q=10;w=60)");
      EXPECT_EQ(reply->header("ratelimit").rfind(R"("/api/auth";r=0;t=)", 0), 0u);
    }
  }

  // Another route keeps its own budget.
  auto data = http_exchange(weir.port(), get_request("/api/data"));
  ASSERT_TRUE(data);
  EXPECT_EQ(data->status, 200);
  EXPECT_EQ(data->header("x-ratelimit-limit"), "100");
  EXPECT_EQ(data->header("x-ratelimit-remaining"), "99");

  auto metrics = http_exchange(weir.metrics_port(), get_request("/metrics"));
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metric_value(metrics->body, R"(http_rate_limited_total{reason="rate_limit"})"), 5);
  EXPECT_EQ(weir.stop(), 0);
}

TEST(RateLimitBlackBox, RetryAfterIsTimeUntilOldestRequestLeavesWindow) {
  WeirProcess weir(R"(
limits:
  default: { requests: 2, window: 3s }
)");
  ASSERT_EQ(http_exchange(weir.port(), get_request("/api/data"))->status, 200);
  ASSERT_EQ(http_exchange(weir.port(), get_request("/api/data"))->status, 200);
  auto reply = http_exchange(weir.port(), get_request("/api/data"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 429);
  // Three seconds at most (the window), rounded up: never zero, never the reference's fixed
  // whole window when part of it has passed.
  int retry = std::stoi(reply->header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 3);
  EXPECT_EQ(reply->header("x-ratelimit-limit"), "2");
}

TEST(RateLimitBlackBox, VariantsOfOnePathShareOneBudget) {
  WeirProcess weir(R"(
limits:
  default: { requests: 100, window: 60s }
  routes:
    - { prefix: /api/auth, requests: 3, window: 60s }
)");
  // The reference keyed on the raw path: each spelling was a fresh budget.
  for (std::string target : {"/api/auth/login", "//api/auth/login", "/api/./auth/login?x=1"}) {
    EXPECT_EQ(http_exchange(weir.port(), post_request(target, kLoginBody))->status, 200) << target;
  }
  for (std::string target : {"/api/auth/x/../login", "/api/%61uth/login", "/api/auth/other"}) {
    EXPECT_EQ(http_exchange(weir.port(), post_request(target, kLoginBody))->status, 429) << target;
  }
  // A prefix matches whole segments only.
  EXPECT_EQ(http_exchange(weir.port(), get_request("/api/authx"))->status, 404);
}

TEST(RateLimitBlackBox, KeepAliveConnectionIsLimitedAndStaysOpen) {
  WeirProcess weir(R"(
limits:
  default: { requests: 2, window: 60s, algorithm: gcra }
)");
  HttpConnection connection(weir.port());
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(connection.send(get_request("/api/data")));
    auto reply = connection.read();
    ASSERT_TRUE(reply);
    statuses.push_back(reply->status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429, 429}));
}

TEST(RateLimitBlackBox, EachAlgorithmAdmitsExactlyItsQuota) {
  for (std::string algorithm : {"sliding_log", "sliding_counter", "gcra"}) {
    WeirProcess weir("limits:\n  default: { requests: 5, window: 60s, algorithm: " + algorithm +
                     " }\n");
    int admitted = 0;
    HttpConnection connection(weir.port());
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(connection.send(get_request("/api/data")));
      auto reply = connection.read();
      ASSERT_TRUE(reply);
      admitted += reply->status == 200;
    }
    EXPECT_EQ(admitted, 5) << algorithm;
  }
}

}  // namespace
}  // namespace weir::test
