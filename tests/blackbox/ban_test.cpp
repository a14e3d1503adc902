// Black-box: clients that keep getting rate-limited are banned, for longer on each repeat.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

const std::string kToken = "ban-test-token-0123456789";

// Each client is named by X-Forwarded-For through the trusted loopback proxy.
int status_for(const WeirProcess& weir, const std::string& client) {
  auto reply =
      http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: " + client + "\r\n"));
  return reply ? reply->status : 0;
}

const char* kConfig = R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
limits:
  default: { requests: 2, window: 60s }
ban: { after: 3, within: 10s, duration: 1s, max_duration: 4s }
admin: { token: "ban-test-token-0123456789" }
)";

// As kConfig, with a ban that outlasts the test: the bans gauge is renewed once a second, so a
// one-second ban could end before a renewal saw it.
const char* kLongBanConfig = R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
limits:
  default: { requests: 2, window: 60s }
ban: { after: 3, within: 10s, duration: 30s, max_duration: 60s }
)";

TEST(BanBlackBox, ClientRejectedAfterTimesIsBannedWith403AndOthersAreNot) {
  WeirProcess weir(kLongBanConfig);
  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i)
    statuses.push_back(status_for(weir, "198.51.100.7"));
  // Two admitted, three rejected (the third rejection starts the ban), then banned.
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429, 429, 429, 403}));

  auto banned =
      http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: 198.51.100.7\r\n"));
  ASSERT_TRUE(banned);
  EXPECT_EQ(banned->status, 403);
  auto body = nlohmann::json::parse(banned->body);
  EXPECT_EQ(body["error"], "forbidden");
  EXPECT_EQ(body["reason"], "banned");
  EXPECT_EQ(banned->header("retry-after"), "30");
  EXPECT_EQ(banned->header("x-ratelimit-limit"), "");  // its limit was not consulted

  EXPECT_EQ(status_for(weir, "198.51.100.8"), 200);
  EXPECT_EQ(scrape(weir.metrics_port(), R"(http_rate_limited_total{reason="ban"})"), 2);
  EXPECT_EQ(scrape(weir.metrics_port(), R"(http_rate_limited_total{reason="rate_limit"})"), 3);
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_bans_total"), 1);
  EXPECT_TRUE(eventually([&] { return scrape(weir.metrics_port(), "weir_bans_active") == 1; }));
}

TEST(BanBlackBox, BanExpiresAndARepeatBanLastsTwiceAsLong) {
  WeirProcess weir(kConfig);
  for (int i = 0; i < 5; ++i)
    status_for(weir, "198.51.100.7");
  ASSERT_EQ(status_for(weir, "198.51.100.7"), 403);

  // After the first ban (1s) the client is back to its limit, still exhausted: 429s again.
  ASSERT_TRUE(eventually([&] { return status_for(weir, "198.51.100.7") == 429; }));
  status_for(weir, "198.51.100.7");
  status_for(weir, "198.51.100.7");
  EXPECT_EQ(status_for(weir, "198.51.100.7"), 403);

  auto bans = admin_request(weir.metrics_port(), "GET", "/admin/bans", kToken);
  ASSERT_TRUE(bans);
  ASSERT_EQ(bans->status, 200) << bans->body;
  auto list = nlohmann::json::parse(bans->body);
  ASSERT_EQ(list["total"], 1);
  EXPECT_EQ(list["bans"][0]["client"], "198.51.100.7");
  EXPECT_EQ(list["bans"][0]["length_seconds"], 2);
  EXPECT_EQ(list["bans"][0]["bans"], 2);
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_bans_total"), 2);
}

TEST(BanBlackBox, LiftingABanThroughTheAdminApiAdmitsTheClientToItsLimitAgain) {
  WeirProcess weir(kConfig);
  for (int i = 0; i < 5; ++i)
    status_for(weir, "198.51.100.7");
  ASSERT_EQ(status_for(weir, "198.51.100.7"), 403);

  auto lifted = admin_request(weir.metrics_port(), "DELETE", "/admin/bans/198.51.100.7", kToken);
  ASSERT_TRUE(lifted);
  EXPECT_EQ(lifted->status, 200) << lifted->body;
  EXPECT_EQ(status_for(weir, "198.51.100.7"), 429);  // limited, no longer banned

  auto again = admin_request(weir.metrics_port(), "DELETE", "/admin/bans/198.51.100.7", kToken);
  EXPECT_EQ(again->status, 404);
}

TEST(BanBlackBox, WithoutABanSectionNobodyIsBanned) {
  WeirProcess weir(R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
limits:
  default: { requests: 1, window: 60s }
)");
  status_for(weir, "198.51.100.7");
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(status_for(weir, "198.51.100.7"), 429);
  EXPECT_EQ(scrape(weir.metrics_port(), "weir_bans_total"), 0);
}

}  // namespace
}  // namespace weir::test
