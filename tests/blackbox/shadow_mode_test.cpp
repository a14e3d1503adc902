// Black-box: shadow mode decides and counts, but rejects nothing; GET /admin/top shows who
// would have been rejected.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

const std::string kToken = "shadow-test-token-0123456789";

std::optional<HttpResponse> get_as(const WeirProcess& weir, std::string_view path,
                                   const std::string& client) {
  return http_exchange(weir.port(), get_request(path, "X-Forwarded-For: " + client + "\r\n"));
}

TEST(ShadowModeBlackBox, ShadowRuleAdmitsEverythingAndCountsWhatItWouldHaveRejected) {
  WeirProcess weir(R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
limits:
  default: { requests: 2, window: 60s }
  routes:
    - { prefix: /api/search, requests: 2, window: 60s, mode: shadow }
)");
  for (int i = 0; i < 5; ++i) {
    auto reply = get_as(weir, "/api/search?q=x", "198.51.100.1");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200) << i;
    // A dry run changes nothing a client sees.
    EXPECT_EQ(reply->header("x-ratelimit-limit"), "") << i;
  }
  EXPECT_EQ(scrape(weir.metrics_port(), R"(weir_shadow_rejections_total{rule="/api/search"})"), 3);
  EXPECT_EQ(scrape(weir.metrics_port(), R"(http_rate_limited_total{reason="rate_limit"})"), 0);

  // The enforced default rule still rejects.
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i)
    statuses.push_back(get_as(weir, "/api/data", "198.51.100.1")->status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429}));
}

TEST(ShadowModeBlackBox, GlobalShadowModeRejectsNothingAndTopShowsTheHeaviestClients) {
  WeirProcess weir(R"(
mode: shadow
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
limits:
  default: { requests: 1, window: 60s }
ban: { after: 1, within: 60s, duration: 1h }
admin: { token: "shadow-test-token-0123456789" }
)");
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(get_as(weir, "/api/data", "203.0.113.5")->status, 200);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(get_as(weir, "/api/data", "203.0.113.6")->status, 200);
  EXPECT_EQ(get_as(weir, "/api/data", "203.0.113.7")->status, 200);

  EXPECT_EQ(scrape(weir.metrics_port(), R"(weir_shadow_rejections_total{rule="default"})"), 7);
  // Would-be rejections start no ban.
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_bans_total"), 0);

  auto top = admin_request(weir.metrics_port(), "GET", "/admin/top?n=5", kToken);
  ASSERT_TRUE(top);
  ASSERT_EQ(top->status, 200) << top->body;
  auto body = nlohmann::json::parse(top->body);
  EXPECT_EQ(body["shadow_rejections"], 7);
  ASSERT_EQ(body["clients"].size(), 2u);
  EXPECT_EQ(body["clients"][0]["client"], "203.0.113.5");
  EXPECT_EQ(body["clients"][0]["count"], 5);
  EXPECT_EQ(body["clients"][1]["client"], "203.0.113.6");
  EXPECT_EQ(body["clients"][1]["count"], 2);
}

TEST(ShadowModeBlackBox, DefaultRuleCanBeShadowedAlone) {
  WeirProcess weir(R"(
limits:
  default: { requests: 1, window: 60s, mode: shadow }
  routes:
    - { prefix: /api/auth, requests: 1, window: 60s }
)");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(http_exchange(weir.port(), get_request("/api/data"))->status, 200);
  const std::string login = post_request("/api/auth/login", R"({"username":"a","password":"b"})");
  EXPECT_EQ(http_exchange(weir.port(), login)->status, 200);
  EXPECT_EQ(http_exchange(weir.port(), login)->status, 429);
}

}  // namespace
}  // namespace weir::test

namespace weir::test {
namespace {

// The defences' metrics as a real weir exports them, after each has moved, must parse and pass
// Prometheus's lint (promtool comes with Debian's `prometheus` package).
TEST(ProtectionMetricsBlackBox, ExpositionWithEveryDefenceMetricPassesPromtool) {
  WeirProcess weir(R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
limits:
  default: { requests: 1, window: 60s }
  routes:
    - { prefix: /api/search, requests: 1, window: 60s, mode: shadow }
ban: { after: 1, within: 60s, duration: 1h }
)");
  for (int i = 0; i < 3; ++i) {
    http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: 198.51.100.1\r\n"));
    http_exchange(weir.port(), get_request("/api/search", "X-Forwarded-For: 198.51.100.2\r\n"));
  }
  const std::string exposition = http_exchange(weir.metrics_port(), get_request("/metrics"))->body;
  EXPECT_EQ(metric_value(exposition, "weir_bans_total"), 1);
  EXPECT_EQ(metric_value(exposition, R"(weir_shadow_rejections_total{rule="/api/search"})"), 2);
  EXPECT_EQ(metric_value(exposition, R"(weir_config_reloads_total{result="failure"})"), 0);
  EXPECT_TRUE(metric_value(exposition, "weir_dynamic_blocks"));
  EXPECT_TRUE(metric_value(exposition, "weir_in_flight_requests"));

  const std::string path = ::testing::TempDir() + "weir-protection-exposition.txt";
  std::ofstream(path) << exposition;
  const int status =
      std::system(("promtool check metrics < '" + path + "' >/dev/null 2>&1").c_str());
  std::remove(path.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << exposition;
}

}  // namespace
}  // namespace weir::test
