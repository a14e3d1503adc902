// A million distinct client identities, forwarded by a trusted proxy, through the limiter and
// the memory store: state stays within max_keys and a legitimate client's limit stays exact.
#include <gtest/gtest.h>

#include <string>

#include "weir/limiter.hpp"
#include "weir/memory_store.hpp"

namespace weir {
namespace {

TEST(IdentityFlood, MillionForwardedIdentitiesStayWithinMaxKeysAndALegitLimitIsExact) {
  ClientResolverOptions client;
  client.trusted_proxies.insert(*Cidr::parse("10.0.0.0/8"));
  const Limit login{.algorithm = Algorithm::kSlidingLog,
                    .requests = 5,
                    .window = std::chrono::seconds(60),
                    .burst = 0};
  Limiter limiter(LimiterOptions{
      .allowlist = {},
      .blocklist = {},
      .client = std::move(client),
      .rules = RuleSet(Rule{"default", "/",
                            Limit{.algorithm = Algorithm::kGcra,
                                  .requests = 100,
                                  .window = std::chrono::seconds(60),
                                  .burst = 0}},
                       {Rule{"/login", "/login", login}}),
  });

  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 10'000});
  const IpAddress proxy = *IpAddress::parse("10.0.0.1");

  int legit_admitted = 0;
  std::string xff;
  for (std::uint32_t n = 0; n < 1'000'000; ++n) {
    // 100.64.0.0/10 and up: a fresh identity on every request.
    const IpAddress forged = IpAddress::from_v4(0x64400000 + n);
    xff = forged.to_string();
    Verdict v = limiter.check({.peer = proxy, .forwarded = xff, .path = "/"}, store);
    ASSERT_EQ(v.outcome, Outcome::kAllowed) << n;

    // Every 10,000 flood requests (eight times what a shard holds) the client tries twice.
    // Plain LRU would evict its key between tries and hand it a fresh budget each time.
    if (n % 10'000 == 0) {
      for (int i = 0; i < 2; ++i) {
        Verdict legit = limiter.check(
            {.peer = proxy, .forwarded = "203.0.113.50, 10.0.0.9", .path = "/login"}, store);
        legit_admitted += legit.outcome == Outcome::kAllowed;
        ASSERT_EQ(legit.client, *IpAddress::parse("203.0.113.50"));
      }
    }
    if (n % 100'000 == 0) {
      ASSERT_LE(store.size(), 10'000u);
    }
    if (n % 1000 == 0) clock.advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(legit_admitted, 5);  // of 200 attempts within one window
  EXPECT_LE(store.size(), 10'000u);
  EXPECT_GT(store.size(), 9'000u);
}

}  // namespace
}  // namespace weir
