#include "http/body_pace.hpp"

#include <gtest/gtest.h>

namespace weir::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const BodyPace::Clock::time_point kStart{seconds(1000)};

TEST(BodyPace, WithoutARateTheDeadlineIsTheBodyTimeout) {
  Timeouts t;
  t.body = seconds(30);
  t.body_min_rate = 0;
  BodyPace pace(t, kStart);
  EXPECT_EQ(pace.deadline(0), kStart + seconds(30));
  EXPECT_EQ(pace.deadline(1'000'000), kStart + seconds(30));
}

TEST(BodyPace, EachByteEarnsTimeAtTheMinimumRateAfterTheGrace) {
  Timeouts t;
  t.body = seconds(30);
  t.body_min_rate = 1000;
  t.body_grace = seconds(5);
  BodyPace pace(t, kStart);
  EXPECT_EQ(pace.deadline(0), kStart + seconds(5));
  EXPECT_EQ(pace.deadline(500), kStart + seconds(5) + milliseconds(500));
  EXPECT_EQ(pace.deadline(10'000), kStart + seconds(15));
  // Never past the body deadline, however fast the client was.
  EXPECT_EQ(pace.deadline(1'000'000), kStart + seconds(30));
  EXPECT_EQ(pace.deadline(~std::uint64_t{0}), kStart + seconds(30));
}

}  // namespace
}  // namespace weir::http
