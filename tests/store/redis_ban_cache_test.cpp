// RedisBanCache: how long a "banned" answer from Redis is trusted, on explicit instants.
#include "store/redis_ban_cache.hpp"

#include <gtest/gtest.h>

namespace weir {
namespace {

using namespace std::chrono_literals;

const Instant kStart(1'700'000'000s);

IpAddress client(std::uint32_t n) {
  return IpAddress::from_v4(n);
}

TEST(RedisBanCache, KeepsABanForAtMostTheHold) {
  RedisBanCache cache(100);
  cache.remember(client(1), kStart + 10min, kStart);
  EXPECT_EQ(cache.find(client(1), kStart), kStart + 10min);
  EXPECT_EQ(cache.find(client(1), kStart + 999ms), kStart + 10min);
  EXPECT_FALSE(cache.find(client(1), kStart + 1s)) << "past the hold: ask Redis again";
  EXPECT_FALSE(cache.find(client(2), kStart));
}

TEST(RedisBanCache, KeepsABanNoLongerThanItLasts) {
  RedisBanCache cache(100);
  cache.remember(client(1), kStart + 300ms, kStart);
  EXPECT_TRUE(cache.find(client(1), kStart + 299ms));
  EXPECT_FALSE(cache.find(client(1), kStart + 300ms));

  cache.remember(client(2), kStart, kStart);  // already over: nothing to keep
  EXPECT_FALSE(cache.find(client(2), kStart));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(RedisBanCache, ForgetsALiftedBanAtOnce) {
  RedisBanCache cache(100);
  cache.remember(client(1), kStart + 10min, kStart);
  cache.forget(client(1));
  EXPECT_FALSE(cache.find(client(1), kStart));
}

TEST(RedisBanCache, AClockSteppedBackMakesAnswersStaleNotLonger) {
  RedisBanCache cache(100);
  cache.remember(client(1), kStart + 10min, kStart);
  EXPECT_FALSE(cache.find(client(1), kStart - 1h));
}

TEST(RedisBanCache, ANewerAnswerReplacesTheOlder) {
  RedisBanCache cache(100);
  cache.remember(client(1), kStart + 10min, kStart);
  cache.remember(client(1), kStart + 20min, kStart + 500ms);
  EXPECT_EQ(cache.find(client(1), kStart + 1200ms), kStart + 20min);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(RedisBanCache, WhenFullStaleAnswersMakeRoomAndFreshOnesStay) {
  // 16 shards of one entry each.
  RedisBanCache cache(16);
  for (std::uint32_t n = 0; n < 1000; ++n)
    cache.remember(client(n), kStart + 10min, kStart);
  EXPECT_LE(cache.size(), 16u);

  // Fresh entries are never pushed out: a newcomer just goes unremembered.
  std::size_t remembered = 0;
  for (std::uint32_t n = 0; n < 1000; ++n)
    remembered += cache.find(client(n), kStart).has_value();
  EXPECT_EQ(remembered, cache.size());

  // A second on, the old answers are stale and give way.
  const Instant later = kStart + 1s;
  for (std::uint32_t n = 1000; n < 2000; ++n)
    cache.remember(client(n), later + 10min, later);
  std::size_t newcomers = 0;
  for (std::uint32_t n = 1000; n < 2000; ++n)
    newcomers += cache.find(client(n), later).has_value();
  EXPECT_GE(newcomers, 8u);
  EXPECT_LE(cache.size(), 16u);
}

}  // namespace
}  // namespace weir
