// Black-box: the demo API and the metrics scrape.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

using nlohmann::json;

class DemoApiBlackBox : public ::testing::Test {
 protected:
  WeirProcess weir_{R"(
limits:
  default: { requests: 1000, window: 60s }
)"};
};

TEST_F(DemoApiBlackBox, ServesTheDemoRoutes) {
  auto data = http_exchange(weir_.port(), get_request("/api/data"));
  EXPECT_EQ(data->status, 200);
  EXPECT_EQ(json::parse(data->body), json::parse(R"({"data":"hello"})"));

  auto login =
      http_exchange(weir_.port(), post_request("/api/auth/login", R"({"username":"bob"})"));
  EXPECT_EQ(login->status, 200);
  EXPECT_EQ(json::parse(login->body)["user"], "bob");

  auto health = http_exchange(weir_.port(), get_request("/healthz"));
  EXPECT_EQ(health->status, 200);
}

TEST_F(DemoApiBlackBox, EchoedTextCannotInjectFields) {
  auto login = http_exchange(
      weir_.port(),
      post_request("/api/auth/login", R"({"username":"x\", \"admin\": true, \"y\": \""})"));
  ASSERT_EQ(login->status, 200);
  json reply = json::parse(login->body);
  EXPECT_EQ(reply.size(), 2u);
  EXPECT_EQ(reply["user"], R"(x", "admin": true, "y": ")");

  auto search =
      http_exchange(weir_.port(), get_request("/api/search?q=a%22%2C%22admin%22%3Atrue%2C%22b+c"));
  ASSERT_EQ(search->status, 200);
  json found = json::parse(search->body);
  EXPECT_EQ(found.size(), 2u);
  EXPECT_EQ(found["query"], R"(a","admin":true,"b c)");
  EXPECT_TRUE(found["results"].is_array());
}

TEST_F(DemoApiBlackBox, InvalidJsonGetsBadRequest) {
  auto reply = http_exchange(weir_.port(), post_request("/api/auth/login", "{not json"));
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(json::parse(reply->body)["error"], "invalid json");
}

TEST_F(DemoApiBlackBox, UnknownPathAndWrongMethod) {
  auto missing = http_exchange(weir_.port(), get_request("/nope"));
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"], "not found");

  auto wrong = http_exchange(weir_.port(), get_request("/api/auth/login"));
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("allow"), "POST");
}

TEST_F(DemoApiBlackBox, ExpectContinueIsHonoured) {
  HttpConnection connection(weir_.port());
  std::string body = R"({"username":"carol"})";
  connection.send(
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  auto interim = connection.read(std::chrono::seconds(5));
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  connection.send(body);
  auto reply = connection.read();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(DemoApiBlackBox, MetricsCountWhatWasSent) {
  for (int i = 0; i < 3; ++i)
    http_exchange(weir_.port(), get_request("/api/data"));
  http_exchange(weir_.port(), get_request("/unknown/one"));
  http_exchange(weir_.port(), get_request("/unknown/two"));
  http_exchange(weir_.port(), post_request("/api/auth/login", "{}"));

  auto scrape = http_exchange(weir_.metrics_port(), get_request("/metrics"));
  ASSERT_EQ(scrape->status, 200);
  EXPECT_NE(scrape->header("content-type").find("version=0.0.4"), std::string::npos);
  const std::string& m = scrape->body;
  EXPECT_EQ(metric_value(m, R"(http_requests_total{method="GET",path="/api/data",status="200"})"),
            3);
  // Unknown paths share one label value, whatever the client sends.
  EXPECT_EQ(metric_value(m, R"(http_requests_total{method="GET",path="other",status="404"})"), 2);
  EXPECT_EQ(
      metric_value(m, R"(http_requests_total{method="POST",path="/api/auth/login",status="200"})"),
      1);
  EXPECT_TRUE(metric_value(m, "http_active_connections"));
  EXPECT_TRUE(metric_value(m, "weir_decision_duration_seconds_count"));
  EXPECT_EQ(metric_value(m, "http_request_duration_seconds_count"), 6);
  EXPECT_GT(*metric_value(m, "process_resident_memory_bytes"), 0);
}

}  // namespace
}  // namespace weir::test
