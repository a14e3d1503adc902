// Black-box: who the client is, and the allow and block lists.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

TEST(ClientIdentityBlackBox, SpoofedForwardedForFromUntrustedPeerIsIgnored) {
  WeirProcess weir(R"(
allowlist: ["10.0.0.0/8"]
limits:
  default: { requests: 2, window: 60s }
)");
  // A fresh made-up address on every request, and an allowlisted one: neither buys budget.
  std::vector<int> statuses;
  for (std::string xff : {"1.1.1.1", "2.2.2.2", "3.3.3.3", "10.0.0.1"}) {
    auto reply =
        http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: " + xff + "\r\n"));
    ASSERT_TRUE(reply);
    statuses.push_back(reply->status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429, 429}));
}

TEST(ClientIdentityBlackBox, ForwardedForThroughTrustedProxyNamesTheClient) {
  WeirProcess weir(R"(
client_ip:
  trusted_proxies: ["127.0.0.0/8"]
blocklist: ["203.0.113.42/32"]
limits:
  default: { requests: 1, window: 60s }
)");
  auto first = [&](std::string xff) {
    return http_exchange(weir.port(), get_request("/api/data", "X-Forwarded-For: " + xff + "\r\n"))
        ->status;
  };
  // Two clients behind the proxy have one budget each.
  EXPECT_EQ(first("198.18.0.1"), 200);
  EXPECT_EQ(first("198.18.0.2"), 200);
  EXPECT_EQ(first("198.18.0.1"), 429);
  // A client prepending a fake entry is still known by the rightmost untrusted address.
  EXPECT_EQ(first("9.9.9.9, 198.18.0.2"), 429);
  // A blocklisted client behind the proxy is refused.
  EXPECT_EQ(first("203.0.113.42"), 403);
  // IPv6 clients share a budget per /64.
  EXPECT_EQ(first("2001:db8:1:2::1"), 200);
  EXPECT_EQ(first("[2001:db8:1:2::ffff]:4711"), 429);
  EXPECT_EQ(first("2001:db8:1:3::1"), 200);
}

TEST(ClientIdentityBlackBox, BlocklistedPeerIsClosedAtAcceptWithoutTouchingTheStore) {
  WeirProcess weir(R"(
blocklist: ["127.0.0.0/8"]
)");
  // The cheapest refusal: the peer itself is blocked, so nothing it sends is read.
  for (int i = 0; i < 3; ++i) {
    HttpConnection connection(weir.port());
    connection.send(get_request("/api/data"));
    EXPECT_FALSE(connection.read());
    EXPECT_TRUE(connection.closed_by_peer());
  }
  auto metrics = http_exchange(weir.metrics_port(), get_request("/metrics"))->body;
  EXPECT_EQ(metric_value(metrics, R"(http_rate_limited_total{reason="blocklist"})"), 3);
  EXPECT_EQ(metric_value(metrics, "weir_store_keys"), 0);
}

TEST(ClientIdentityBlackBox, AllowlistedPeerPassesUnlimited) {
  WeirProcess weir(R"(
allowlist: ["127.0.0.1/32"]
limits:
  default: { requests: 1, window: 60s }
)");
  HttpConnection connection(weir.port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection.send(get_request("/api/data")));
    auto reply = connection.read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
  }
}

TEST(ClientIdentityBlackBox, ServesIpv6Clients) {
  WeirProcess weir(R"(
limits:
  default: { requests: 1, window: 60s }
)",
                   {}, "::1");
  HttpConnection connection(weir.port(), "::1");
  ASSERT_TRUE(connection.send(get_request("/api/data")));
  EXPECT_EQ(connection.read()->status, 200);
  ASSERT_TRUE(connection.send(get_request("/api/data")));
  EXPECT_EQ(connection.read()->status, 429);
}

}  // namespace
}  // namespace weir::test
