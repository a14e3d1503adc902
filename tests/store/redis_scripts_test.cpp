#include "store/redis_scripts.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "support/fake_redis_reply.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using testing::FakeReply;

RateKey key_for(std::uint32_t rule, const char* ip) {
  return RateKey{rule, *IpAddress::parse(ip)};
}

Limit limit_of(std::uint32_t requests) {
  return Limit{.algorithm = Algorithm::kSlidingLog, .requests = requests, .window = 10s};
}

TEST(RedisScriptsTest, EveryKeyOfAClientSharesOneHashTag) {
  const auto keys = redis_keys("weir", key_for(3, "198.51.100.7"), Algorithm::kSlidingLog);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], "weir:{3:198.51.100.7}:log");
  EXPECT_EQ(keys[1], "weir:{3:198.51.100.7}:logm");
  EXPECT_EQ(redis_keys("w", key_for(0, "2001:db8::1"), Algorithm::kGcra)[0],
            "w:{0:2001:db8::1}:gcra");
}

TEST(RedisScriptsTest, EachAlgorithmHasItsOwnKeySoAChangedRuleNeverMeetsAWrongType) {
  const RateKey key = key_for(1, "192.0.2.1");
  EXPECT_NE(redis_keys("weir", key, Algorithm::kSlidingCounter)[0],
            redis_keys("weir", key, Algorithm::kGcra)[0]);
}

TEST(RedisScriptsTest, ArgumentsNameKeysLimitAndOptionalTime) {
  const Limit limit{.algorithm = Algorithm::kGcra, .requests = 10, .window = 2s, .burst = 30};
  const auto args = redis_script_arguments("weir", key_for(2, "192.0.2.1"), limit, "SHA",
                                           Instant(Duration(1'700'000'000'000'123)));
  EXPECT_EQ(args, (std::vector<std::string>{"SHA", "1", "weir:{2:192.0.2.1}:gcra", "10", "2000000",
                                            "30", "1700000000000123"}));
  EXPECT_EQ(
      redis_script_arguments("weir", key_for(2, "192.0.2.1"), limit, "SHA", std::nullopt).size(),
      6u);
}

TEST(RedisScriptsTest, ScriptsAreEmbeddedWithTheirSha1) {
  for (const RedisScript* script : redis_scripts()) {
    EXPECT_NE(script->source.find("redis.call"), std::string_view::npos) << script->name;
    EXPECT_EQ(script->sha1.size(), 40u) << script->name;
  }
  EXPECT_EQ(redis_script(Algorithm::kSlidingCounter).name, "sliding_counter");
}

TEST(RedisScriptsTest, ParsesADecision) {
  auto reply = FakeReply::integers({0, 0, 9'000'000, 1'500'000});
  const ParsedReply parsed = parse_script_reply(reply.get(), limit_of(5));
  ASSERT_EQ(parsed.kind, RedisReplyKind::kDecision);
  EXPECT_EQ(
      parsed.decision,
      (Decision{.allowed = false, .limit = 5, .remaining = 0, .reset = 9s, .retry_after = 1500ms}));
}

TEST(RedisScriptsTest, ClassifiesErrorReplies) {
  auto noscript = FakeReply::error("NOSCRIPT No matching script. Please use EVAL.");
  auto loading = FakeReply::error("LOADING Redis is loading the dataset in memory");
  auto wrongtype = FakeReply::error("WRONGTYPE Operation against a key holding the wrong kind");
  EXPECT_EQ(parse_script_reply(noscript.get(), limit_of(5)).kind, RedisReplyKind::kNoScript);
  EXPECT_EQ(parse_script_reply(loading.get(), limit_of(5)).kind, RedisReplyKind::kUnavailable);
  const ParsedReply parsed = parse_script_reply(wrongtype.get(), limit_of(5));
  EXPECT_EQ(parsed.kind, RedisReplyKind::kError);
  EXPECT_TRUE(parsed.detail.starts_with("WRONGTYPE"));
}

TEST(RedisScriptsTest, RejectsRepliesOfTheWrongShapeOrRange) {
  auto short_array = FakeReply::integers({1, 4, 10});
  auto bad_allowed = FakeReply::integers({2, 4, 10, 0});
  auto too_many_left = FakeReply::integers({1, 6, 10, 0});
  auto negative_reset = FakeReply::integers({1, 4, -1, 0});
  for (auto* reply : {&short_array, &bad_allowed, &too_many_left, &negative_reset}) {
    EXPECT_EQ(parse_script_reply(reply->get(), limit_of(5)).kind, RedisReplyKind::kMalformed);
  }
  EXPECT_EQ(parse_script_reply(nullptr, limit_of(5)).kind, RedisReplyKind::kMalformed);

  redisReply status{};
  status.type = REDIS_REPLY_STATUS;
  EXPECT_EQ(parse_script_reply(&status, limit_of(5)).kind, RedisReplyKind::kMalformed);
}

}  // namespace
}  // namespace weir
