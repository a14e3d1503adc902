#include "metrics/counter.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/gauge.hpp"
#include "metrics/registry.hpp"

namespace weir::metrics {
namespace {

TEST(CounterTest, SumsConcurrentIncrementsExactly) {
  Counter counter;

  constexpr int kThreads = 4;
  constexpr int kPerThread = 250'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < kPerThread; ++i)
        counter.inc();
    });
  }
  for (auto& thread : threads)
    thread.join();

  EXPECT_EQ(counter.value(), static_cast<std::uint64_t>(kThreads) * kPerThread);
}

TEST(CounterTest, SumsConcurrentIncrementsOfACachedFamilyChildExactly) {
  Registry registry;
  auto& family = registry.counter_family("hits_total", "Hits.", {"path"});

  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&family, t] {
      Counter& shared = family.with({"/shared"});
      Counter& own = family.with({t % 2 == 0 ? "/even" : "/odd"});
      for (int i = 0; i < kPerThread; ++i) {
        shared.inc();
        own.inc(2);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();

  EXPECT_EQ(family.with({"/shared"}).value(), 400'000u);
  EXPECT_EQ(family.with({"/even"}).value(), 400'000u);
  EXPECT_EQ(family.with({"/odd"}).value(), 400'000u);
}

TEST(CounterTest, KeepsEachCounterOnItsOwnCacheLine) {
  EXPECT_EQ(alignof(Counter), 64u);
  EXPECT_EQ(alignof(Gauge), 64u);
}

TEST(GaugeTest, SetsIncrementsAndDecrements) {
  Gauge gauge;
  gauge.set(10);
  gauge.inc();
  gauge.inc(5);
  gauge.dec();
  gauge.dec(20);
  EXPECT_EQ(gauge.value(), -5);
}

TEST(GaugeTest, ReturnsToZeroAfterBalancedConcurrentUpdates) {
  Gauge gauge;

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&gauge] {
      for (int i = 0; i < 100'000; ++i) {
        gauge.inc();
        gauge.dec();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();

  EXPECT_EQ(gauge.value(), 0);
}

}  // namespace
}  // namespace weir::metrics
