#include "metrics/histogram.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weir::metrics {
namespace {

using ::testing::ElementsAre;

TEST(HistogramTest, CountsCumulativelyWithValuesOnABoundInThatBucket) {
  Histogram histogram({0.25, 0.5, 1});

  histogram.observe(0.125);
  histogram.observe(0.25);
  histogram.observe(0.75);
  histogram.observe(3.0);
  histogram.observe(-1.0);  // below every bound: first bucket

  const auto snap = histogram.snapshot();
  EXPECT_THAT(snap.cumulative, ElementsAre(3u, 3u, 4u, 5u));
  EXPECT_EQ(snap.count, 5u);
  EXPECT_DOUBLE_EQ(snap.sum, 3.125);
}

TEST(HistogramTest, ObservesDurationsInSeconds) {
  Histogram histogram({0.000001, 0.00001, 0.001});

  histogram.observe(std::chrono::nanoseconds(800));
  histogram.observe(std::chrono::microseconds(5));
  histogram.observe(std::chrono::milliseconds(2));

  const auto snap = histogram.snapshot();
  EXPECT_THAT(snap.cumulative, ElementsAre(1u, 2u, 2u, 3u));
  EXPECT_DOUBLE_EQ(snap.sum, 0.0000008 + 0.000005 + 0.002);
}

TEST(HistogramTest, IgnoresNaNAndCountsInfinityOnlyInTheInfBucket) {
  Histogram histogram({1});

  histogram.observe(std::nan(""));
  histogram.observe(std::numeric_limits<double>::infinity());

  const auto snap = histogram.snapshot();
  EXPECT_THAT(snap.cumulative, ElementsAre(0u, 1u));
  EXPECT_EQ(snap.count, 1u);
}

TEST(HistogramTest, DropsATrailingInfBound) {
  Histogram histogram({0.5, std::numeric_limits<double>::infinity()});
  EXPECT_THAT(histogram.bounds(), ElementsAre(0.5));
}

TEST(HistogramTest, RejectsBadBoundsNamingTheBound) {
  try {
    make_bounds({0.1, 0.5, 0.2});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("bound 2 is '0.2'"));
  }
  EXPECT_THROW(make_bounds({-std::numeric_limits<double>::infinity(), 1}), std::invalid_argument);
}

TEST(HistogramTest, CountsEveryObservationFromConcurrentThreads) {
  Histogram histogram({0.5, 1.5});

  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram] {
      for (int i = 0; i < kPerThread; ++i)
        histogram.observe(i % 2 == 0 ? 0.25 : 1.0);
    });
  }
  for (auto& thread : threads)
    thread.join();

  // Quarters and ones add exactly in a double, so the sum must be exact too.
  constexpr std::uint64_t kTotal = kThreads * kPerThread;
  const auto snap = histogram.snapshot();
  EXPECT_THAT(snap.cumulative, ElementsAre(kTotal / 2, kTotal, kTotal));
  EXPECT_EQ(snap.sum, static_cast<double>(kTotal / 2) * 1.25);
}

}  // namespace
}  // namespace weir::metrics
