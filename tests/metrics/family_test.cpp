#include "metrics/family.hpp"

#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metrics/registry.hpp"

namespace weir::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FamilyTest, ReturnsTheSameChildForTheSameLabelValues) {
  Registry registry;
  auto& requests = registry.counter_family("requests_total", "Requests.", {"method", "path"});

  Counter& first = requests.with({"GET", "/api/data"});
  Counter& other = requests.with({"POST", "/api/data"});
  Counter& again = requests.with({"GET", "/api/data"});

  EXPECT_EQ(&first, &again);
  EXPECT_NE(&first, &other);
  EXPECT_EQ(requests.size(), 2u);
}

TEST(FamilyTest, KeepsReferencesValidWhileManyChildrenAreAdded) {
  Registry registry;
  auto& family = registry.counter_family("many_total", "Many.", {"id"}, 10'000);

  Counter& first = family.with({"0"});
  first.inc();
  for (int i = 1; i < 5'000; ++i)
    family.with({std::to_string(i)}).inc();
  first.inc();

  EXPECT_EQ(&family.with({"0"}), &first);
  EXPECT_EQ(first.value(), 2u);
}

TEST(FamilyTest, DoesNotConfuseValuesThatConcatenateAlike) {
  Registry registry;
  auto& family = registry.counter_family("pairs_total", "Pairs.", {"a", "b"});

  EXPECT_NE(&family.with({"ab", "c"}), &family.with({"a", "bc"}));
  EXPECT_NE(&family.with({"", "x"}), &family.with({"x", ""}));
}

TEST(FamilyTest, MapsLabelSetsPastTheBoundToOneOverflowChild) {
  Registry registry;
  auto& family = registry.counter_family("bounded_total", "Bounded.", {"method", "path"}, 2);

  family.with({"GET", "/a"}).inc();
  family.with({"GET", "/b"}).inc();
  Counter& overflow = family.with({"GET", "/c"});
  overflow.inc();
  for (int i = 0; i < 100; ++i)
    family.with({"PUT", fmt::format("/flood/{}", i)}).inc();

  EXPECT_EQ(&family.with({"DELETE", "/z"}), &overflow);
  EXPECT_EQ(overflow.value(), 101u);
  EXPECT_EQ(family.size(), 3u);
  EXPECT_EQ(registry.render(),
            "# HELP bounded_total Bounded.\n"
            "# TYPE bounded_total counter\n"
            "bounded_total{method=\"GET\",path=\"/a\"} 1\n"
            "bounded_total{method=\"GET\",path=\"/b\"} 1\n"
            "bounded_total{method=\"other\",path=\"other\"} 101\n");
}

TEST(FamilyTest, StillFindsExistingChildrenOnceFull) {
  Registry registry;
  auto& family = registry.counter_family("full_total", "Full.", {"k"}, 1);

  Counter& kept = family.with({"kept"});
  family.with({"new"}).inc();

  EXPECT_EQ(&family.with({"kept"}), &kept);
  EXPECT_EQ(kept.value(), 0u);
}

TEST(FamilyTest, SharesARealAllOtherChildWithTheOverflow) {
  Registry registry;
  auto& family = registry.counter_family("shared_total", "Shared.", {"k"}, 1);

  Counter& real_other = family.with({"other"});
  Counter& overflow = family.with({"x"});

  EXPECT_EQ(&real_other, &overflow);
  EXPECT_EQ(family.size(), 1u);
}

TEST(FamilyTest, MapsAWrongNumberOfLabelValuesToTheOverflowChild) {
  Registry registry;
  auto& family = registry.counter_family("arity_total", "Arity.", {"a", "b"});

  family.with({"only-one"}).inc();
  family.with({"1", "2", "3"}).inc();

  EXPECT_EQ(family.with({"other", "other"}).value(), 2u);
  EXPECT_THAT(registry.render(), Not(HasSubstr("only-one")));
}

TEST(FamilyTest, CreatesEachChildOnceUnderConcurrentFirstUse) {
  Registry registry;
  auto& family = registry.counter_family("race_total", "Race.", {"k"});

  constexpr int kThreads = 4;
  constexpr int kKeys = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&family] {
      for (int k = 0; k < kKeys; ++k)
        family.with({std::to_string(k)}).inc();
    });
  }
  for (auto& thread : threads)
    thread.join();

  EXPECT_EQ(family.size(), static_cast<std::size_t>(kKeys));
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(family.with({std::to_string(k)}).value(), static_cast<std::uint64_t>(kThreads));
  }
}

}  // namespace
}  // namespace weir::metrics
