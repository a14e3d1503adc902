#include "weir/ban_tracker.hpp"

#include <gtest/gtest.h>

#include "weir/clock.hpp"

namespace weir {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const BanPolicy kPolicy{
    .after = 3, .within = seconds(10), .duration = minutes(1), .max_duration = minutes(5)};
const IpAddress kClient = IpAddress::from_v4(0xC6336407);  // 198.51.100.7

TEST(BanPolicy, DoublesEachRepeatUpToTheMaximum) {
  EXPECT_EQ(kPolicy.length(0), minutes(1));
  EXPECT_EQ(kPolicy.length(1), minutes(2));
  EXPECT_EQ(kPolicy.length(2), minutes(4));
  EXPECT_EQ(kPolicy.length(3), minutes(5));
  EXPECT_EQ(kPolicy.length(4'000'000'000u), minutes(5));
}

TEST(BanTracker, BansOnTheThirdRejectionWithinTheWindow) {
  ManualClock clock;
  BanTracker bans(100);
  EXPECT_FALSE(bans.record_rejection(kClient, kPolicy, clock.now()));
  clock.advance(seconds(4));
  EXPECT_FALSE(bans.record_rejection(kClient, kPolicy, clock.now()));
  EXPECT_FALSE(bans.banned_until(kClient, clock.now()));
  clock.advance(seconds(4));
  auto until = bans.record_rejection(kClient, kPolicy, clock.now());
  ASSERT_TRUE(until);
  EXPECT_EQ(*until, clock.now() + minutes(1));
  EXPECT_EQ(bans.banned_until(kClient, clock.now()), until);
}

TEST(BanTracker, RejectionsSpreadWiderThanTheWindowDoNotBan) {
  ManualClock clock;
  BanTracker bans(100);
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(bans.record_rejection(kClient, kPolicy, clock.now())) << i;
    clock.advance(seconds(6));  // two per window at most
  }
}

TEST(BanTracker, BanEndsAfterItsDurationAndRepeatBanIsDoubled) {
  ManualClock clock;
  BanTracker bans(100);
  for (int i = 0; i < 3; ++i)
    bans.record_rejection(kClient, kPolicy, clock.now());
  clock.advance(minutes(1));
  EXPECT_FALSE(bans.banned_until(kClient, clock.now()));

  std::optional<Instant> second;
  for (int i = 0; i < 3; ++i)
    second = bans.record_rejection(kClient, kPolicy, clock.now());
  ASSERT_TRUE(second);
  EXPECT_EQ(*second - clock.now(), minutes(2));

  // Three more offences: 4 min, then capped at 5 min.
  for (Duration expected : {Duration(minutes(4)), Duration(minutes(5))}) {
    clock.set(*second);
    for (int i = 0; i < 3; ++i)
      second = bans.record_rejection(kClient, kPolicy, clock.now());
    ASSERT_TRUE(second);
    EXPECT_EQ(*second - clock.now(), expected);
  }
}

TEST(BanTracker, RejectionsDuringABanAreNotCounted) {
  ManualClock clock;
  BanTracker bans(100);
  for (int i = 0; i < 3; ++i)
    bans.record_rejection(kClient, kPolicy, clock.now());
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(bans.record_rejection(kClient, kPolicy, clock.now()));
  EXPECT_EQ(bans.active(clock.now(), 10).bans.at(0).bans, 1u);
}

TEST(BanTracker, CleanClientIsForgottenAndStartsAgainFromTheFirstLength) {
  ManualClock clock;
  BanTracker bans(100);
  for (int i = 0; i < 3; ++i)
    bans.record_rejection(kClient, kPolicy, clock.now());
  clock.advance(minutes(1) + minutes(5));  // the ban, then max_duration clean
  EXPECT_EQ(bans.sweep(kPolicy, clock.now()), 1u);
  EXPECT_EQ(bans.size(), 0u);

  std::optional<Instant> until;
  for (int i = 0; i < 3; ++i)
    until = bans.record_rejection(kClient, kPolicy, clock.now());
  EXPECT_EQ(*until - clock.now(), minutes(1));
}

TEST(BanTracker, LiftEndsTheBanAndForgetsHistory) {
  ManualClock clock;
  BanTracker bans(100);
  for (int round = 0; round < 2; ++round) {  // two bans: the next would be doubled
    clock.advance(minutes(2));
    for (int i = 0; i < 3; ++i)
      bans.record_rejection(kClient, kPolicy, clock.now());
  }
  EXPECT_TRUE(bans.lift(kClient, clock.now()));
  EXPECT_FALSE(bans.banned_until(kClient, clock.now()));
  EXPECT_FALSE(bans.lift(kClient, clock.now()));

  // Forgotten: the next offence is a first one again.
  std::optional<Instant> until;
  for (int i = 0; i < 3; ++i)
    until = bans.record_rejection(kClient, kPolicy, clock.now());
  EXPECT_EQ(*until - clock.now(), minutes(1));
}

TEST(BanTracker, StaysWithinCapacityUnderAMillionOffendersAndKeepsTrackedOnes) {
  ManualClock clock;
  BanTracker bans(1000);
  bans.record_rejection(kClient, kPolicy, clock.now());
  bans.record_rejection(kClient, kPolicy, clock.now());
  for (std::uint32_t i = 0; i < 1'000'000; ++i) {
    bans.record_rejection(IpAddress::from_v4(0x0b000000 + i), kPolicy, clock.now());
    ASSERT_LE(bans.size(), 1000u);
  }
  EXPECT_TRUE(bans.record_rejection(kClient, kPolicy, clock.now()));
}

TEST(BanTracker, ActiveListsOnlyBansInForceAndBoundsTheList) {
  ManualClock clock;
  BanTracker bans(100);
  for (std::uint32_t c = 1; c <= 5; ++c) {
    for (int i = 0; i < 3; ++i)
      bans.record_rejection(IpAddress::from_v4(c), kPolicy, clock.now());
  }
  bans.record_rejection(IpAddress::from_v4(99), kPolicy, clock.now());  // strikes, no ban
  BanList list = bans.active(clock.now(), 2);
  EXPECT_EQ(list.total, 5u);
  EXPECT_EQ(list.bans.size(), 2u);
  clock.advance(hours(1));
  EXPECT_EQ(bans.active(clock.now(), 10).total, 0u);
}

}  // namespace
}  // namespace weir
