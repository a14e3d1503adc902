// The core front door with the embedded store: order of checks, keys, the synchronous path.
#include "weir/limiter.hpp"

#include <gtest/gtest.h>

#include "weir/memory_store.hpp"

namespace weir {
namespace {

IpAddress ip(std::string_view text) {
  return *IpAddress::parse(text);
}
Cidr net(std::string_view text) {
  return *Cidr::parse(text);
}

Limiter make_limiter(std::uint32_t auth_requests = 2) {
  LimiterOptions options{
      .allowlist = CidrSet({net("10.0.0.0/8")}),
      .blocklist = CidrSet({net("203.0.113.0/24"), net("10.6.6.6")}),
      .client = ClientResolverOptions{.trusted_proxies = CidrSet({net("192.0.2.1")})},
      .rules = RuleSet(Rule{"default", "/", Limit{.requests = 100}},
                       {Rule{"/api/auth", "/api/auth", Limit{.requests = auth_requests}}}),
  };
  return Limiter(std::move(options));
}

TEST(LimiterTest, BlocklistWinsOverAllowlist) {
  Limiter limiter = make_limiter();
  // 10.6.6.6 is in both lists: a block is the stronger statement.
  EXPECT_EQ(limiter.classify({.peer = ip("10.6.6.6"), .forwarded = "", .path = "/"}).outcome,
            Outcome::kBlocked);
  EXPECT_EQ(limiter.classify({.peer = ip("10.1.1.1"), .forwarded = "", .path = "/"}).outcome,
            Outcome::kAllowlisted);
  EXPECT_EQ(limiter.classify({.peer = ip("198.18.0.1"), .forwarded = "", .path = "/"}).outcome,
            Outcome::kAllowed);
}

TEST(LimiterTest, ListsApplyToTheForwardedClientOnlyBehindTrustedProxy) {
  Limiter limiter = make_limiter();
  auto via_proxy =
      limiter.classify({.peer = ip("192.0.2.1"), .forwarded = "203.0.113.9", .path = "/"});
  EXPECT_EQ(via_proxy.outcome, Outcome::kBlocked);
  EXPECT_EQ(via_proxy.client, ip("203.0.113.9"));

  // The same header from an untrusted peer claims an allowlisted address in vain.
  auto spoofed = limiter.classify({.peer = ip("198.18.0.1"), .forwarded = "10.0.0.1", .path = "/"});
  EXPECT_EQ(spoofed.outcome, Outcome::kAllowed);
  EXPECT_EQ(spoofed.client, ip("198.18.0.1"));
}

TEST(LimiterTest, KeysByRuleAndClientNotByRawPath) {
  Limiter limiter = make_limiter();
  auto a = limiter.classify({.peer = ip("198.18.0.1"), .forwarded = "", .path = "/api/auth/login"});
  auto b = limiter.classify({.peer = ip("198.18.0.1"), .forwarded = "", .path = "/api/auth/other"});
  auto c = limiter.classify({.peer = ip("198.18.0.1"), .forwarded = "", .path = "/api/data"});
  EXPECT_EQ(a.key, b.key);
  EXPECT_NE(a.key, c.key);
  EXPECT_EQ(limiter.rules().rule(a.rule).name, "/api/auth");
  EXPECT_EQ(limiter.rules().rule(c.rule).name, "default");
}

TEST(LimiterTest, BudgetKeysSurviveReorderedRoutes) {
  auto make = [](std::vector<Rule> routes) {
    return Limiter(
        LimiterOptions{.allowlist = {},
                       .blocklist = {},
                       .client = {},
                       .rules = RuleSet(Rule{"default", "/", Limit{}}, std::move(routes))});
  };
  Rule auth{"/api/auth", "/api/auth", Limit{.requests = 5}};
  Rule search{"/api/search", "/api/search", Limit{.requests = 50}};
  Limiter before = make({auth, search});
  Limiter after = make({search, Rule{"/new", "/new", Limit{}}, auth});  // a reload

  RequestFacts facts{.peer = ip("198.18.0.1"), .forwarded = "", .path = "/api/auth/login"};
  EXPECT_EQ(before.classify(facts).key, after.classify(facts).key);
  EXPECT_NE(before.classify(facts).rule, after.classify(facts).rule);  // positions did move
}

TEST(LimiterTest, CheckRejectsThirdRequestWithExactRetryAfter) {
  Limiter limiter = make_limiter(2);
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 16});
  RequestFacts facts{.peer = ip("198.18.0.1"), .forwarded = "", .path = "/api/auth/login"};

  EXPECT_EQ(limiter.check(facts, store).outcome, Outcome::kAllowed);
  clock.advance(std::chrono::seconds(20));
  Verdict second = limiter.check(facts, store);
  EXPECT_EQ(second.outcome, Outcome::kAllowed);
  EXPECT_EQ(second.decision.remaining, 0u);

  clock.advance(std::chrono::seconds(5));
  Verdict third = limiter.check(facts, store);
  EXPECT_EQ(third.outcome, Outcome::kRateLimited);
  // The first request leaves the 60s window 35s from now, not a whole window from now.
  EXPECT_EQ(third.decision.retry_after, std::chrono::seconds(35));

  clock.advance(std::chrono::seconds(35));
  EXPECT_EQ(limiter.check(facts, store).outcome, Outcome::kAllowed);
}

TEST(LimiterTest, BlockedAndAllowlistedRequestsLeaveNoState) {
  Limiter limiter = make_limiter();
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 16});
  limiter.check({.peer = ip("203.0.113.5"), .forwarded = "", .path = "/"}, store);
  limiter.check({.peer = ip("10.0.0.5"), .forwarded = "", .path = "/"}, store);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace weir
