#include "weir/sliding_log.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace weir {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

Limit sliding_log(std::uint32_t requests, Duration window) {
  return Limit{.algorithm = Algorithm::kSlidingLog, .requests = requests, .window = window};
}

TEST(SlidingLogTest, RejectsFourthRequestInWindowWithExactWaits) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(3, seconds(10));
  const Instant start = clock.now();

  for (std::uint32_t i = 0; i < 3; ++i) {
    const Decision d = state.decide(limit, clock.now());
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, 2 - i);
    EXPECT_EQ(d.reset, seconds(10));
    EXPECT_EQ(d.retry_after, Duration(0));
    clock.advance(seconds(1));
  }

  // At start + 3s: the oldest (start) leaves at start + 10s, the newest (start + 2s) at + 12s.
  const Decision d = state.decide(limit, clock.now());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, 3u);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after, seconds(7));
  EXPECT_EQ(d.reset, seconds(9));
  EXPECT_EQ(state.expires_at(limit), start + seconds(12));
}

TEST(SlidingLogTest, OldestRequestLeavesTheWindowExactlyOneWindowLater) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(2, seconds(10));
  const Instant start = clock.now();
  state.decide(limit, start);
  state.decide(limit, start + seconds(4));

  const Decision early = state.decide(limit, start + seconds(10) - microseconds(1));
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after, microseconds(1));

  const Decision on_time = state.decide(limit, start + seconds(10));
  EXPECT_TRUE(on_time.allowed);
  EXPECT_EQ(on_time.remaining, 0u);
}

TEST(SlidingLogTest, RejectedRequestsAreNotCounted) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(1, seconds(1));
  EXPECT_TRUE(state.decide(limit, clock.now()).allowed);
  for (int i = 0; i < 100; ++i) {
    clock.advance(microseconds(9'000));
    EXPECT_FALSE(state.decide(limit, clock.now()).allowed);
  }
  EXPECT_EQ(state.size(), 1u);
  clock.advance(microseconds(100'000));
  EXPECT_TRUE(state.decide(limit, clock.now()).allowed);
}

TEST(SlidingLogTest, NeverHoldsMoreThanTheQuotaOfTimestamps) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(5, seconds(1));
  for (int i = 0; i < 1'000; ++i) {
    state.decide(limit, clock.now());
    clock.advance(microseconds(137'000));
    ASSERT_LE(state.size(), 5u);
    ASSERT_LE(state.capacity(), 5u);
  }
}

TEST(SlidingLogTest, AllocatesTimestampsLazilyAndGrowsWithUse) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(1'000, seconds(60));
  EXPECT_EQ(state.capacity(), 0u);
  EXPECT_EQ(state.heap_bytes(), 0u);

  state.decide(limit, clock.now());
  EXPECT_EQ(state.capacity(), 1u);
  for (int i = 0; i < 9; ++i)
    state.decide(limit, clock.now());
  EXPECT_EQ(state.size(), 10u);
  EXPECT_EQ(state.capacity(), 16u);
  EXPECT_EQ(state.heap_bytes(), (16u + 2u) * 8u);

  for (int i = 0; i < 2'000; ++i)
    state.decide(limit, clock.now());
  EXPECT_EQ(state.size(), 1'000u);
  EXPECT_EQ(state.capacity(), 1'000u);
}

TEST(SlidingLogTest, RingBufferKeepsOrderAcrossWrapAround) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(3, microseconds(10));
  const Instant start = clock.now();
  // Admitted at 0, 1, 2; at 10 the first leaves and 10 is written where 0 was.
  for (int t : {0, 1, 2, 10})
    EXPECT_TRUE(state.decide(limit, start + microseconds(t)).allowed);
  const Decision d = state.decide(limit, start + microseconds(10));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, microseconds(1));  // the timestamp 1 leaves at 11
  EXPECT_EQ(d.reset, microseconds(10));       // the timestamp 10 leaves at 20
  EXPECT_TRUE(state.decide(limit, start + microseconds(11)).allowed);
}

TEST(SlidingLogTest, TimeRunningBackwardsIsTreatedAsTheLatestTimeSeen) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(1, seconds(10));
  ASSERT_TRUE(state.decide(limit, clock.now()).allowed);
  clock.advance(seconds(4));
  ASSERT_FALSE(state.decide(limit, clock.now()).allowed);

  // Five seconds earlier than the last request: judged at the last request's time.
  const Decision d = state.decide(limit, clock.now() - seconds(5));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(6));
}

TEST(SlidingLogTest, CopiesAreIndependent) {
  ManualClock clock;
  SlidingLog state;
  const Limit limit = sliding_log(2, seconds(1));
  state.decide(limit, clock.now());
  SlidingLog copy = state;
  EXPECT_TRUE(copy.decide(limit, clock.now()).allowed);
  EXPECT_FALSE(copy.decide(limit, clock.now()).allowed);
  EXPECT_EQ(state.size(), 1u);
  EXPECT_TRUE(state.decide(limit, clock.now()).allowed);

  SlidingLog moved = std::move(copy);
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(copy.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from log is empty
}

}  // namespace
}  // namespace weir
