#include "weir/sliding_counter.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace weir {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

Limit sliding_counter(std::uint32_t requests, Duration window) {
  return Limit{.algorithm = Algorithm::kSlidingCounter, .requests = requests, .window = window};
}

// ManualClock's default start is a multiple of ten seconds, so fixed windows of 10s begin there.
class SlidingCounterTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  const Instant start_ = clock_.now();
  SlidingCounter state_;
  const Limit limit_ = sliding_counter(10, seconds(10));
};

TEST_F(SlidingCounterTest, RejectsEleventhRequestInWindow) {
  for (std::uint32_t i = 0; i < 10; ++i) {
    const Decision d = state_.decide(limit_, start_ + seconds(1));
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 10u);
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.reset, seconds(19));  // the count weighs until the end of the next window
  }

  // Full: at start + 11s the previous window weighs 0.9, 9 + 1 <= 10.
  const Decision d = state_.decide(limit_, start_ + seconds(1));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after, seconds(10));
  EXPECT_EQ(d.reset, seconds(19));
}

TEST_F(SlidingCounterTest, AdmitsExactlyAtRetryAfterAndNotOneMicrosecondSooner) {
  for (int i = 0; i < 10; ++i)
    state_.decide(limit_, start_ + seconds(1));
  const Duration wait = state_.decide(limit_, start_ + seconds(1)).retry_after;
  const Instant then = start_ + seconds(1) + wait;

  SlidingCounter early = state_;
  EXPECT_FALSE(early.decide(limit_, then - microseconds(1)).allowed);
  EXPECT_TRUE(state_.decide(limit_, then).allowed);
}

TEST_F(SlidingCounterTest, WeighsThePreviousWindowByItsOverlap) {
  for (int i = 0; i < 10; ++i)
    state_.decide(limit_, start_ + seconds(9));

  // Halfway through the next window the previous ten count as five: five more fit.
  const Instant half = start_ + seconds(15);
  for (std::uint32_t i = 0; i < 5; ++i) {
    const Decision d = state_.decide(limit_, half);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 4 - i);
  }
  const Decision d = state_.decide(limit_, half);
  EXPECT_FALSE(d.allowed);
  // Six must weigh at most four more: at 6s into the window the previous ten weigh 4.
  EXPECT_EQ(d.retry_after, seconds(1));
  EXPECT_EQ(d.reset, seconds(15));
}

TEST_F(SlidingCounterTest, QuotaOfOneWaitsTwoWindowBoundaries) {
  const Limit one = sliding_counter(1, seconds(10));
  ASSERT_TRUE(state_.decide(one, start_ + seconds(1)).allowed);
  const Decision d = state_.decide(one, start_ + seconds(1));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(19));

  SlidingCounter early = state_;
  EXPECT_FALSE(early.decide(one, start_ + seconds(20) - microseconds(1)).allowed);
  EXPECT_TRUE(state_.decide(one, start_ + seconds(20)).allowed);
}

TEST_F(SlidingCounterTest, ForgetsEverythingAfterTwoWindows) {
  for (int i = 0; i < 10; ++i)
    state_.decide(limit_, start_);
  EXPECT_EQ(state_.expires_at(limit_), start_ + seconds(20));

  const Decision d = state_.decide(limit_, start_ + seconds(20));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 9u);
  EXPECT_EQ(state_.previous, 0u);
  EXPECT_EQ(state_.current, 1u);
}

TEST_F(SlidingCounterTest, ResetCountsOnlyThePreviousWindowWhenTheCurrentIsEmpty) {
  const Limit one = sliding_counter(1, seconds(10));
  state_.decide(one, start_ + seconds(1));
  // In the next window the one request still weighs; a request is denied and not counted.
  const Decision d = state_.decide(one, start_ + seconds(12));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reset, seconds(8));
  EXPECT_EQ(state_.expires_at(one), start_ + seconds(20));
}

TEST_F(SlidingCounterTest, TimeRunningBackwardsIsTreatedAsTheLatestTimeSeen) {
  for (int i = 0; i < 10; ++i)
    state_.decide(limit_, start_ + seconds(9));

  // Eight seconds earlier than the last request: judged at start + 9s, so the wait until
  // start + 11s is two seconds, not ten.
  const Decision d = state_.decide(limit_, start_ + seconds(1));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(2));
  EXPECT_EQ(state_.latest, start_ + seconds(9));
}

TEST_F(SlidingCounterTest, FixedWindowsAreAlignedOnTheUnixTimeline) {
  // A window of 7s: start is 1'700'000'000s, and 1'699'999'994 is the multiple of 7 below it.
  const Limit odd = sliding_counter(2, seconds(7));
  state_.decide(odd, start_);
  state_.decide(odd, start_);
  const Decision d = state_.decide(odd, start_);
  EXPECT_FALSE(d.allowed);
  // Window [start - 6s, start + 1s); it weighs until start + 8s.
  EXPECT_EQ(d.reset, seconds(8));
  EXPECT_EQ(state_.expires_at(odd), start_ + seconds(8));
}

}  // namespace
}  // namespace weir
