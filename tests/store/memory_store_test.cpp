#include "weir/memory_store.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

namespace weir {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

// A distinct client per number: 2001:db8::/96 plus the number in the last four bytes.
RateKey key(std::uint32_t n, std::uint32_t rule = 0) {
  IpAddress::Bytes bytes{0x20, 0x01, 0x0d, 0xb8};
  bytes[12] = static_cast<std::uint8_t>(n >> 24);
  bytes[13] = static_cast<std::uint8_t>(n >> 16);
  bytes[14] = static_cast<std::uint8_t>(n >> 8);
  bytes[15] = static_cast<std::uint8_t>(n);
  return RateKey{rule, IpAddress(bytes)};
}

Limit limit(Algorithm algorithm, std::uint32_t requests, Duration window) {
  return Limit{.algorithm = algorithm, .requests = requests, .window = window};
}

constexpr Algorithm kAlgorithms[] = {Algorithm::kSlidingLog, Algorithm::kSlidingCounter,
                                     Algorithm::kGcra};

TEST(MemoryStoreTest, RejectsBadOptionsAtConstruction) {
  ManualClock clock;
  EXPECT_THROW(MemoryStore(clock, {.max_keys = 0}), std::invalid_argument);
  EXPECT_THROW(MemoryStore(clock, {.max_keys = 100, .shards = 3}), std::invalid_argument);
  EXPECT_THROW(MemoryStore(clock, {.max_keys = std::size_t{1} << 26, .shards = 2}),
               std::invalid_argument);
}

TEST(MemoryStoreTest, PicksPowerOfTwoShardsBoundedByMaxKeys) {
  ManualClock clock;
  const MemoryStore big(clock, {.max_keys = 1'000'000});
  EXPECT_EQ(big.shard_count(), 64u);
  EXPECT_EQ(big.shard_capacity(), 15'625u);
  const MemoryStore small(clock, {.max_keys = 3});
  EXPECT_EQ(small.shard_count(), 1u);
  EXPECT_EQ(small.shard_capacity(), 3u);
}

TEST(MemoryStoreTest, EnforcesEachAlgorithmAtTheClocksTime) {
  for (const Algorithm algorithm : kAlgorithms) {
    SCOPED_TRACE(to_string(algorithm));
    ManualClock clock;
    MemoryStore store(clock, {.max_keys = 100});
    const Limit l = limit(algorithm, 3, seconds(10));

    for (std::uint32_t i = 0; i < 3; ++i) {
      const std::optional<StoreResult> r = store.try_decide(key(1), l);
      ASSERT_TRUE(r.has_value());
      EXPECT_FALSE(r->unavailable);
      EXPECT_TRUE(r->decision.allowed);
      EXPECT_EQ(r->decision.remaining, 2 - i);
    }
    const StoreResult denied = *store.try_decide(key(1), l);
    EXPECT_FALSE(denied.decision.allowed);
    EXPECT_GT(denied.decision.retry_after, Duration(0));

    // Another client, and the same client under another rule, have budgets of their own.
    EXPECT_TRUE(store.try_decide(key(2), l)->decision.allowed);
    EXPECT_TRUE(store.try_decide(key(1, 7), l)->decision.allowed);
    EXPECT_EQ(store.size(), 3u);

    clock.advance(denied.decision.retry_after);
    EXPECT_TRUE(store.try_decide(key(1), l)->decision.allowed);
  }
}

TEST(MemoryStoreTest, DecideAnswersBeforeReturning) {
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 100});
  const Limit l = limit(Algorithm::kGcra, 1, seconds(1));
  int calls = 0;
  bool allowed = false;
  store.decide(key(1), l, [&](StoreResult r) {
    ++calls;
    allowed = r.decision.allowed;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(allowed);
  store.decide(key(1), l, [&](StoreResult r) {
    ++calls;
    allowed = r.decision.allowed;
  });
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(allowed);
}

TEST(MemoryStoreTest, EvictsExpiredStateBeforeTheLeastRecentlyUsedKey) {
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 3, .shards = 1});
  const Limit long_lived = limit(Algorithm::kSlidingLog, 1, hours(1));
  const Limit short_lived = limit(Algorithm::kSlidingLog, 1, seconds(1));
  const Instant t0 = clock.now();

  ASSERT_TRUE(store.decide_at(key(1), long_lived, t0).decision.allowed);   // least recent
  ASSERT_TRUE(store.decide_at(key(2), short_lived, t0).decision.allowed);  // expires at t0+1s
  ASSERT_TRUE(store.decide_at(key(3), long_lived, t0).decision.allowed);

  // Full. Key 2 has expired: the newcomer takes its place, not that of key 1.
  const Instant t1 = t0 + seconds(2);
  ASSERT_TRUE(store.decide_at(key(4), long_lived, t1).decision.allowed);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.decide_at(key(1), long_lived, t1).decision.allowed);  // state kept

  // Recency now, most recent first: 1, 4, 3. Nothing has expired, so key 3 goes.
  ASSERT_TRUE(store.decide_at(key(5), long_lived, t1).decision.allowed);
  EXPECT_FALSE(store.decide_at(key(4), long_lived, t1).decision.allowed);  // kept
  EXPECT_FALSE(store.decide_at(key(1), long_lived, t1).decision.allowed);  // kept
  EXPECT_FALSE(store.decide_at(key(5), long_lived, t1).decision.allowed);  // kept
  EXPECT_TRUE(store.decide_at(key(3), long_lived, t1).decision.allowed);   // forgotten
  EXPECT_EQ(store.size(), 3u);
}

TEST(MemoryStoreTest, FloodOfDistinctKeysNeverExceedsTheBoundNorFreesAnActiveKey) {
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 4'096});
  const std::size_t bound = store.shard_count() * store.shard_capacity();
  ASSERT_EQ(bound, 4'096u);
  const Limit flood_limit = limit(Algorithm::kGcra, 10, seconds(60));
  const Limit legitimate = limit(Algorithm::kSlidingLog, 100, seconds(60));
  const RateKey client = key(0, 1);

  // A million one-off keys over one second, and the legitimate client asking every 100th
  // request: exactly its quota is admitted, however full the store.
  std::uint32_t admitted = 0;
  for (std::uint32_t i = 1; i <= 1'000'000; ++i) {
    clock.advance(microseconds(1));
    ASSERT_TRUE(store.try_decide(key(i), flood_limit)->decision.allowed);
    if (i % 100 == 0 && store.try_decide(client, legitimate)->decision.allowed) ++admitted;
    if (i % 1'000 == 0) {
      ASSERT_LE(store.size(), bound) << "after " << i << " keys";
    }
  }
  EXPECT_EQ(admitted, 100u);
  EXPECT_EQ(store.size(), bound);
}

TEST(MemoryStoreTest, ConcurrentRequestsForOneKeyAdmitExactlyTheQuota) {
  for (const Algorithm algorithm : kAlgorithms) {
    SCOPED_TRACE(to_string(algorithm));
    ManualClock clock;
    MemoryStore store(clock, {.max_keys = 10'000});
    const Limit shared = limit(algorithm, 1'000, hours(1));
    std::atomic<std::uint32_t> admitted{0};

    std::vector<std::thread> threads;
    for (std::uint32_t t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (std::uint32_t i = 0; i < 2'000; ++i) {
          if (store.try_decide(key(0), shared)->decision.allowed) ++admitted;
          // Keys of its own, in whatever shards they fall, alongside.
          store.try_decide(key(1 + t * 2'000 + i), shared);
        }
      });
    }
    for (std::thread& thread : threads)
      thread.join();

    EXPECT_EQ(admitted.load(), 1'000u);
    EXPECT_EQ(store.size(), 1u + 4 * 2'000);
  }
}

TEST(MemoryStoreTest, ChangedLimitResetsTheKeysState) {
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 100});
  const Limit two = limit(Algorithm::kSlidingLog, 2, seconds(60));
  store.try_decide(key(1), two);
  store.try_decide(key(1), two);
  ASSERT_FALSE(store.try_decide(key(1), two)->decision.allowed);

  // A reload raises the quota: the key starts over rather than carrying two requests across.
  const Limit three = limit(Algorithm::kSlidingLog, 3, seconds(60));
  const StoreResult raised = *store.try_decide(key(1), three);
  EXPECT_TRUE(raised.decision.allowed);
  EXPECT_EQ(raised.decision.remaining, 2u);

  // Another algorithm with the same numbers is another limit too.
  const Limit gcra = limit(Algorithm::kGcra, 3, seconds(60));
  EXPECT_EQ(store.try_decide(key(1), gcra)->decision.remaining, 2u);
  EXPECT_EQ(store.try_decide(key(1), gcra)->decision.remaining, 1u);

  // And the same limit again keeps counting.
  EXPECT_EQ(store.try_decide(key(1), gcra)->decision.remaining, 0u);
  EXPECT_FALSE(store.try_decide(key(1), gcra)->decision.allowed);
  EXPECT_EQ(store.size(), 1u);
}

TEST(MemoryStoreTest, SweepDropsOnlyExpiredKeysWithinItsBudget) {
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 1'000});
  const Limit brief = limit(Algorithm::kSlidingCounter, 1, seconds(1));
  const Limit lasting = limit(Algorithm::kSlidingCounter, 1, hours(1));
  for (std::uint32_t i = 0; i < 10; ++i)
    store.try_decide(key(i), brief);
  for (std::uint32_t i = 10; i < 20; ++i)
    store.try_decide(key(i), lasting);
  ASSERT_EQ(store.size(), 20u);

  // Nothing has expired yet.
  EXPECT_EQ(store.sweep(clock.now(), 1'000), 0u);
  EXPECT_EQ(store.size(), 20u);

  // Sliding counter state lasts until the end of the window after the request's.
  clock.advance(seconds(2));
  std::size_t dropped = 0;
  for (int call = 0; call < 100 && dropped < 10; ++call) {
    const std::size_t n = store.sweep(clock.now(), 3);
    EXPECT_LE(n, 3u);
    dropped += n;
  }
  EXPECT_EQ(dropped, 10u);
  EXPECT_EQ(store.size(), 10u);
  EXPECT_EQ(store.sweep(clock.now(), 1'000), 0u);

  // The lasting keys kept their state.
  for (std::uint32_t i = 10; i < 20; ++i) {
    EXPECT_FALSE(store.try_decide(key(i), lasting)->decision.allowed) << i;
  }
}

TEST(MemoryStoreTest, SweptSlotsAreReusedWithoutGrowing) {
  ManualClock clock;
  MemoryStore store(clock, {.max_keys = 64, .shards = 1});
  const Limit brief = limit(Algorithm::kSlidingLog, 5, seconds(1));
  for (int round = 0; round < 10; ++round) {
    for (std::uint32_t i = 0; i < 64; ++i) {
      ASSERT_TRUE(store.try_decide(key(round * 64 + i), brief)->decision.allowed);
    }
    EXPECT_EQ(store.size(), 64u);
    clock.advance(seconds(1));
    EXPECT_EQ(store.sweep(clock.now(), 64), 64u);
    EXPECT_EQ(store.size(), 0u);
  }
}

// Measures the heap bytes per key of a full store of a million keys, one request each. Keys do
// not spread over the shards perfectly evenly, so it takes a few more than a million distinct
// ones to fill every shard.
double BytesPerKey(Algorithm algorithm) {
  constexpr std::uint32_t kKeys = 1'000'000;
  ManualClock clock;
  const Limit l = limit(algorithm, 100, seconds(60));
  const struct mallinfo2 before = mallinfo2();
  double per_key = 0;
  {
    MemoryStore store(clock, {.max_keys = kKeys});
    for (std::uint32_t i = 0; store.size() < kKeys && i < 2 * kKeys; ++i) {
      store.decide_at(key(i), l, clock.now());
    }
    EXPECT_EQ(store.size(), kKeys);
    const struct mallinfo2 after = mallinfo2();
    const double used = static_cast<double>(after.uordblks + after.hblkhd) -
                        static_cast<double>(before.uordblks + before.hblkhd);
    per_key = used / kKeys;
  }
  std::printf("memory store, %s: %.1f bytes per key (1M keys)\n",
              std::string(to_string(algorithm)).c_str(), per_key);
  return per_key;
}

TEST(MemoryStoreTest, ConstantStateKeysCostAtMostSixtyFourBytes) {
  const double gcra = BytesPerKey(Algorithm::kGcra);
  if (gcra == 0) GTEST_SKIP() << "the allocator in use does not report through mallinfo2()";
  EXPECT_LE(gcra, 64.0);
  EXPECT_LE(BytesPerKey(Algorithm::kSlidingCounter), 64.0);
  // A sliding log key also holds its ring buffer: here one timestamp after the 16-byte header,
  // a 32-byte allocation with the allocator's own overhead.
  EXPECT_LE(BytesPerKey(Algorithm::kSlidingLog), 64.0 + 32.0);
}

}  // namespace
}  // namespace weir
