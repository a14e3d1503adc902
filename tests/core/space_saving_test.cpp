#include "weir/space_saving.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace weir {
namespace {

IpAddress ip(std::uint32_t n) {
  return IpAddress::from_v4(n);
}

TEST(SpaceSaving, CountsExactlyWhileUnderCapacity) {
  SpaceSaving top(8);
  for (int i = 0; i < 5; ++i)
    top.add(ip(1));
  top.add(ip(2), 3);
  top.add(ip(3));

  auto entries = top.top(10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].client, ip(1));
  EXPECT_EQ(entries[0].count, 5u);
  EXPECT_EQ(entries[0].error, 0u);
  EXPECT_EQ(entries[1].client, ip(2));
  EXPECT_EQ(entries[1].count, 3u);
  EXPECT_EQ(entries[2].count, 1u);
  EXPECT_EQ(top.total(), 9u);
}

TEST(SpaceSaving, FindsHeavyHittersAmongManyOneOffClientsInFixedMemory) {
  SpaceSaving top(64);
  std::mt19937 random(7);
  std::map<std::uint32_t, std::uint64_t> heavy_truth;

  // 300,000 one-off identities with three heavy clients mixed in.
  for (std::uint32_t i = 0; i < 300'000; ++i) {
    top.add(ip(0x0a000000 + i));
    if (i % 10 == 0) {
      // 30,000 hits shared by three clients: each well above N / k = 330,000 / 64.
      const std::uint32_t heavy = 1 + random() % 3;
      top.add(ip(heavy));
      ++heavy_truth[heavy];
    }
  }

  EXPECT_EQ(top.size(), 64u);
  auto entries = top.top(3);
  ASSERT_EQ(entries.size(), 3u);
  std::map<std::uint32_t, SpaceSaving::Entry> found;
  for (const auto& e : entries)
    found[e.client.v4()] = e;
  for (const auto& [client, truth] : heavy_truth) {
    ASSERT_TRUE(found.count(client)) << client;
    const auto& e = found[client];
    EXPECT_GE(e.count, truth);
    EXPECT_LE(e.count - e.error, truth);
    EXPECT_LE(e.error, top.total() / top.capacity());
  }
}

TEST(SpaceSaving, NewcomerInheritsTheSmallestCountAsError) {
  SpaceSaving top(2);
  top.add(ip(1), 5);
  top.add(ip(2), 2);
  top.add(ip(3));  // replaces ip(2)

  auto entries = top.top(2);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].client, ip(1));
  EXPECT_EQ(entries[1].client, ip(3));
  EXPECT_EQ(entries[1].count, 3u);
  EXPECT_EQ(entries[1].error, 2u);
}

TEST(SpaceSaving, ClearForgetsEverything) {
  SpaceSaving top(4);
  top.add(ip(1));
  top.clear();
  EXPECT_EQ(top.size(), 0u);
  EXPECT_EQ(top.total(), 0u);
  EXPECT_TRUE(top.top(4).empty());
}

}  // namespace
}  // namespace weir
