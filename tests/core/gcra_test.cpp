#include "weir/gcra.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace weir {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Limit gcra(std::uint32_t requests, Duration window, std::uint32_t burst = 0) {
  return Limit{
      .algorithm = Algorithm::kGcra, .requests = requests, .window = window, .burst = burst};
}

TEST(GcraTest, EmissionIntervalRoundsUpSoTheRateNeverExceedsTheLimit) {
  EXPECT_EQ(gcra_emission_interval(gcra(10, seconds(1))), milliseconds(100));
  EXPECT_EQ(gcra_emission_interval(gcra(3, seconds(1))), Duration(333'334));
  EXPECT_EQ(gcra_emission_interval(gcra(1'000'000, milliseconds(1))), Duration(1));
}

TEST(GcraTest, AdmitsBurstOfRequestsThenRejectsTheNext) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(10, seconds(1));

  for (std::uint32_t i = 0; i < 10; ++i) {
    const Decision d = state.decide(limit, clock.now());
    EXPECT_TRUE(d.allowed) << "request " << i;
    EXPECT_EQ(d.limit, 10u);
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.reset, milliseconds(100) * (i + 1));
    EXPECT_EQ(d.retry_after, Duration(0));
  }

  const Decision d = state.decide(limit, clock.now());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, 10u);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after, milliseconds(100));
  EXPECT_EQ(d.reset, seconds(1));
}

TEST(GcraTest, RejectedRequestsAreNotCounted) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(2, seconds(1));
  state.decide(limit, clock.now());
  state.decide(limit, clock.now());
  const Gcra full = state;

  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(state.decide(limit, clock.now()).allowed);
  EXPECT_EQ(state.tat, full.tat);
}

TEST(GcraTest, AdmitsExactlyAtRetryAfterAndNotOneMicrosecondSooner) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(10, seconds(1));
  for (int i = 0; i < 10; ++i)
    state.decide(limit, clock.now());
  const Duration wait = state.decide(limit, clock.now()).retry_after;
  ASSERT_EQ(wait, milliseconds(100));

  Gcra early = state;
  EXPECT_FALSE(early.decide(limit, clock.now() + wait - Duration(1)).allowed);
  EXPECT_TRUE(state.decide(limit, clock.now() + wait).allowed);
}

TEST(GcraTest, SustainsOneRequestPerEmissionInterval) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(10, seconds(1));
  for (int i = 0; i < 10; ++i)
    state.decide(limit, clock.now());

  for (int i = 0; i < 50; ++i) {
    clock.advance(milliseconds(100));
    const Decision d = state.decide(limit, clock.now());
    EXPECT_TRUE(d.allowed) << "step " << i;
    EXPECT_EQ(d.remaining, 0u);
    EXPECT_FALSE(state.decide(limit, clock.now()).allowed) << "step " << i;
  }
}

TEST(GcraTest, BurstAllowsMoreThanTheRateAtOnceButRemainingIsCappedAtTheLimit) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(10, seconds(1), 25);

  const Decision first = state.decide(limit, clock.now());
  EXPECT_EQ(first.remaining, 10u);  // 24 by the bucket, clamped to the quota
  for (int i = 1; i < 25; ++i)
    EXPECT_TRUE(state.decide(limit, clock.now()).allowed) << i;
  const Decision denied = state.decide(limit, clock.now());
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, milliseconds(100));
  EXPECT_EQ(denied.reset, milliseconds(2500));
}

TEST(GcraTest, IdleKeyRefillsCompletely) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(5, seconds(10));
  for (int i = 0; i < 5; ++i)
    state.decide(limit, clock.now());
  EXPECT_EQ(state.expires_at(limit), clock.now() + seconds(10));

  clock.advance(seconds(10));
  EXPECT_EQ(state.decide(limit, clock.now()).remaining, 4u);
}

TEST(GcraTest, TimeRunningBackwardsIsTreatedAsTheLatestTimeSeen) {
  ManualClock clock;
  Gcra state;
  const Limit limit = gcra(1, seconds(1));
  ASSERT_TRUE(state.decide(limit, clock.now()).allowed);

  // Ten seconds in the past: judged at the latest time, so the wait is one interval, not
  // eleven seconds.
  const Decision d = state.decide(limit, clock.now() - seconds(10));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(1));
  EXPECT_EQ(state.latest, clock.now());
}

}  // namespace
}  // namespace weir
