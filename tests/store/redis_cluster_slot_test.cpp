// Hash slots as Redis Cluster computes them.
#include "store/redis_cluster_slot.hpp"

#include <gtest/gtest.h>

#include "store/redis_scripts.hpp"

namespace weir {
namespace {

TEST(RedisClusterSlot, Crc16MatchesTheXmodemCheckValue) {
  EXPECT_EQ(redis_crc16("123456789"), 0x31C3);
  EXPECT_EQ(redis_crc16(""), 0);
  EXPECT_EQ(redis_crc16("A"), 0x58E5);
}

TEST(RedisClusterSlot, HashesOnlyTheHashTag) {
  EXPECT_EQ(redis_cluster_slot("123456789"), 12739);
  EXPECT_EQ(redis_cluster_slot("weir:{123456789}:gcra"), 12739);
  EXPECT_EQ(redis_cluster_slot("{123456789}"), 12739);
  // Values Redis's CLUSTER KEYSLOT answers.
  EXPECT_EQ(redis_cluster_slot("foo"), 12182);
  EXPECT_EQ(redis_cluster_slot("{user1000}.following"), redis_cluster_slot("user1000"));
}

TEST(RedisClusterSlot, EmptyOrUnclosedTagHashesTheWholeKey) {
  EXPECT_EQ(redis_cluster_slot("a{}b"), redis_crc16("a{}b") % 16384);
  EXPECT_EQ(redis_cluster_slot("a{bc"), redis_crc16("a{bc") % 16384);
  // Only the first '{' and the '}' after it count: here they enclose nothing.
  EXPECT_EQ(redis_cluster_slot("{}{x}"), redis_crc16("{}{x}") % 16384);
  EXPECT_EQ(redis_cluster_slot("x{a}{b}"), redis_cluster_slot("a"));
}

TEST(RedisClusterSlot, KeysOfOneDecisionShareASlot) {
  const RateKey key{7, *IpAddress::parse("198.51.100.7")};
  const auto keys = redis_keys("weir", key, Algorithm::kSlidingLog);
  ASSERT_GE(keys.size(), 2u);
  for (const auto& k : keys)
    EXPECT_EQ(redis_cluster_slot(k), redis_cluster_slot("7:198.51.100.7")) << k;
}

}  // namespace
}  // namespace weir
