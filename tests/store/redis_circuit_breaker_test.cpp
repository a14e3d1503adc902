#include "store/redis_circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace weir {
namespace {

using namespace std::chrono_literals;
using State = RedisCircuitBreaker::State;
using TimePoint = RedisCircuitBreaker::TimePoint;

const TimePoint kStart = TimePoint(std::chrono::seconds(1000));

TEST(RedisCircuitBreakerTest, StaysClosedBelowTheFailureRun) {
  RedisCircuitBreaker breaker(3, 250ms);
  breaker.record_failure(kStart);
  breaker.record_failure(kStart);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_TRUE(breaker.try_acquire(kStart));
  EXPECT_FALSE(breaker.bypassing(kStart));
}

TEST(RedisCircuitBreakerTest, SuccessBreaksTheFailureRun) {
  RedisCircuitBreaker breaker(3, 250ms);
  breaker.record_failure(kStart);
  breaker.record_failure(kStart);
  breaker.record_success();
  breaker.record_failure(kStart);
  breaker.record_failure(kStart);
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST(RedisCircuitBreakerTest, OpensAfterConsecutiveFailuresAndStopsRequests) {
  RedisCircuitBreaker breaker(3, 250ms);
  for (int i = 0; i < 3; ++i)
    breaker.record_failure(kStart);

  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_FALSE(breaker.try_acquire(kStart));
  EXPECT_FALSE(breaker.try_acquire(kStart + 249ms));
  EXPECT_TRUE(breaker.bypassing(kStart + 249ms));
}

TEST(RedisCircuitBreakerTest, LetsOneProbeThroughPerInterval) {
  RedisCircuitBreaker breaker(1, 250ms);
  breaker.record_failure(kStart);

  EXPECT_FALSE(breaker.bypassing(kStart + 250ms));
  EXPECT_TRUE(breaker.try_acquire(kStart + 250ms));   // the probe
  EXPECT_FALSE(breaker.try_acquire(kStart + 250ms));  // everyone else waits
  EXPECT_FALSE(breaker.try_acquire(kStart + 499ms));
  EXPECT_TRUE(breaker.try_acquire(kStart + 500ms));  // the next probe, even if one is lost
}

TEST(RedisCircuitBreakerTest, FailedProbeKeepsItOpenAndSuccessClosesIt) {
  RedisCircuitBreaker breaker(1, 250ms);
  breaker.record_failure(kStart);
  ASSERT_TRUE(breaker.try_acquire(kStart + 300ms));
  breaker.record_failure(kStart + 300ms);
  EXPECT_EQ(breaker.state(), State::kOpen);

  ASSERT_TRUE(breaker.try_acquire(kStart + 600ms));
  breaker.record_success();
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_TRUE(breaker.try_acquire(kStart + 600ms));
  EXPECT_TRUE(breaker.try_acquire(kStart + 600ms));
}

TEST(RedisCircuitBreakerTest, ReportsEachStateChangeOnce) {
  std::vector<State> changes;
  RedisCircuitBreaker breaker(2, 250ms, [&](State state, int) { changes.push_back(state); });

  for (int i = 0; i < 10; ++i)
    breaker.record_failure(kStart);  // one opening
  for (int i = 0; i < 10; ++i)
    breaker.record_success();  // one closing

  EXPECT_EQ(changes, (std::vector<State>{State::kOpen, State::kClosed}));
}

}  // namespace
}  // namespace weir
