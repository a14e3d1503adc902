// Black-box: a flood of 100,000 distinct client identities (forwarded by a trusted proxy)
// keeps weir's state within store.max_keys and its memory bounded, and a legitimate client's
// limit is still enforced exactly while it lasts.
#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/protection_helpers.hpp"
#include "support/weir_process.hpp"

namespace weir::test {
namespace {

std::string flood_request(std::uint32_t n) {
  const std::string client = "10." + std::to_string((n >> 16) & 0xff) + "." +
                             std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
  return get_request("/api/data", "X-Forwarded-For: " + client + "\r\n");
}

TEST(IdentityFloodBlackBox, HundredThousandIdentitiesStayWithinMaxKeysAndALegitLimitHolds) {
  WeirProcess weir(R"(
client_ip: { trusted_proxies: ["127.0.0.1/32"] }
store: { max_keys: 5000 }
max_requests_per_connection: 1000000
limits:
  default: { requests: 100, window: 60s }
  routes:
    - { prefix: /api/auth, requests: 5, window: 60s }
)");
  const std::string legit = post_request("/api/auth/login", R"({"username":"a","password":"b"})",
                                         "X-Forwarded-For: 203.0.113.50\r\n");

  HttpConnection flood(weir.port());
  HttpConnection user(weir.port());
  constexpr std::uint32_t kIdentities = 100'000;
  constexpr std::uint32_t kBatch = 500;  // pipelined per round trip
  long rss_after_warmup = 0;
  int legit_admitted = 0;
  int legit_sent = 0;

  for (std::uint32_t start = 0; start < kIdentities; start += kBatch) {
    std::string batch;
    for (std::uint32_t n = start; n < start + kBatch; ++n)
      batch += flood_request(n);
    ASSERT_TRUE(flood.send(batch));
    for (std::uint32_t n = start; n < start + kBatch; ++n) {
      auto reply = flood.read();
      ASSERT_TRUE(reply) << n;
      ASSERT_EQ(reply->status, 200) << n;  // one request each: all within their limits
    }

    // The legitimate client keeps trying every few thousand flood requests.
    if (start % 2000 == 0) {
      ASSERT_TRUE(user.send(legit));
      auto reply = user.read();
      ASSERT_TRUE(reply);
      legit_admitted += reply->status == 200;
      ++legit_sent;
    }
    if (start == 10'000) rss_after_warmup = resident_kib(weir.pid());
  }

  EXPECT_EQ(legit_sent, 50);
  EXPECT_EQ(legit_admitted, 5);
  const auto keys = scrape(weir.metrics_port(), "weir_store_keys");
  ASSERT_TRUE(keys);
  EXPECT_LE(*keys, 5000);
  EXPECT_GT(*keys, 1000);  // the store is in use, not bypassed

  // Ninety thousand more identities after warm-up add no state beyond the bound: allow slack
  // for allocator noise, far below what 90,000 retained keys would cost.
  const long rss_end = resident_kib(weir.pid());
  ASSERT_GT(rss_after_warmup, 0);
  EXPECT_LT(rss_end - rss_after_warmup, 8 * 1024) << rss_after_warmup << " -> " << rss_end;
  EXPECT_LT(rss_end, 200 * 1024);
}

}  // namespace
}  // namespace weir::test
