#include "weir/cidr_set.hpp"

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace weir {
namespace {

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}
Cidr net(std::string_view text) {
  return Cidr::parse(text).value();
}

TEST(CidrSetTest, EmptySetHoldsNothing) {
  const CidrSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(ip("1.2.3.4")));
  EXPECT_FALSE(set.contains(ip("::")));
  EXPECT_FALSE(set.longest_match(ip("::1")).has_value());
}

TEST(CidrSetTest, FindsAddressesInsideAndOnlyInside) {
  const CidrSet set({net("10.0.0.0/8"), net("198.51.100.0/24"), net("2001:db8::/32")});
  EXPECT_TRUE(set.contains(ip("10.255.0.1")));
  EXPECT_TRUE(set.contains(ip("::ffff:10.0.0.1")));
  EXPECT_TRUE(set.contains(ip("198.51.100.0")));
  EXPECT_TRUE(set.contains(ip("198.51.100.255")));
  EXPECT_TRUE(set.contains(ip("2001:db8:1::1")));
  EXPECT_FALSE(set.contains(ip("11.0.0.0")));
  EXPECT_FALSE(set.contains(ip("9.255.255.255")));
  EXPECT_FALSE(set.contains(ip("198.51.101.0")));
  EXPECT_FALSE(set.contains(ip("2001:db9::")));
  EXPECT_EQ(set.size(), 3u);
}

TEST(CidrSetTest, LongestMatchIsTheMostSpecificNetwork) {
  const CidrSet set(
      {net("10.0.0.0/8"), net("10.1.0.0/16"), net("10.1.2.0/24"), net("10.1.2.3"), net("::/0")});
  EXPECT_EQ(set.longest_match(ip("10.1.2.3")), net("10.1.2.3"));
  EXPECT_EQ(set.longest_match(ip("10.1.2.4")), net("10.1.2.0/24"));
  EXPECT_EQ(set.longest_match(ip("10.1.3.4")), net("10.1.0.0/16"));
  EXPECT_EQ(set.longest_match(ip("10.2.3.4")), net("10.0.0.0/8"));
  EXPECT_EQ(set.longest_match(ip("11.0.0.0")), net("::/0"));
  EXPECT_EQ(set.longest_match(ip("2001:db8::1")), net("::/0"));
}

TEST(CidrSetTest, Ipv4NetworksDoNotCoverIpv6AndViceVersa) {
  const CidrSet set({net("0.0.0.0/0")});
  EXPECT_TRUE(set.contains(ip("255.255.255.255")));
  EXPECT_FALSE(set.contains(ip("::1")));
  EXPECT_FALSE(set.contains(ip("::ffff:0:0").masked(95)));

  const CidrSet v6({net("2000::/3")});
  EXPECT_FALSE(v6.contains(ip("32.0.0.1")));
  EXPECT_TRUE(v6.contains(ip("3fff::1")));
}

TEST(CidrSetTest, InsertClearsHostBitsAndIgnoresDuplicates) {
  CidrSet set;
  set.insert(Cidr{ip("10.1.2.3"), 96 + 8});
  set.insert(net("10.0.0.0/8"));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.networks(), std::vector<Cidr>{net("10.0.0.0/8")});
  EXPECT_TRUE(set.contains(ip("10.200.0.1")));
}

TEST(CidrSetTest, EraseRemovesOnlyThatNetwork) {
  CidrSet set({net("10.0.0.0/8"), net("10.1.0.0/16")});
  EXPECT_FALSE(set.erase(net("10.2.0.0/16")));
  EXPECT_FALSE(set.erase(net("10.0.0.0/9")));
  EXPECT_TRUE(set.erase(net("10.1.0.0/16")));
  EXPECT_FALSE(set.erase(net("10.1.0.0/16")));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.longest_match(ip("10.1.0.1")), net("10.0.0.0/8"));
  EXPECT_TRUE(set.erase(net("10.0.0.0/8")));
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(ip("10.1.0.1")));
}

TEST(CidrSetTest, NetworksAreListedSorted) {
  const CidrSet set({net("2001:db8::/32"), net("10.1.0.0/16"), net("10.0.0.0/8"), net("::1")});
  EXPECT_EQ(set.networks(), (std::vector<Cidr>{net("::1"), net("10.0.0.0/8"), net("10.1.0.0/16"),
                                               net("2001:db8::/32")}));
}

TEST(CidrSetTest, NetworksCoveringAllOfIpv4AnswerForIpv4Addresses) {
  CidrSet set({net("::/0"), net("::/64"), net("10.0.0.0/8"), net("2001:db8::/32")});
  EXPECT_EQ(set.longest_match(ip("10.1.1.1")), net("10.0.0.0/8"));
  EXPECT_EQ(set.longest_match(ip("11.1.1.1")), net("::/64"));
  EXPECT_EQ(set.longest_match(ip("::1")), net("::/64"));
  EXPECT_EQ(set.longest_match(ip("2001:db8::1")), net("2001:db8::/32"));
  EXPECT_EQ(set.longest_match(ip("2001:db9::1")), net("::/0"));
  EXPECT_TRUE(set.erase(net("::/64")));
  EXPECT_EQ(set.longest_match(ip("11.1.1.1")), net("::/0"));
  EXPECT_TRUE(set.erase(net("::/0")));
  EXPECT_FALSE(set.contains(ip("11.1.1.1")));
  // A network beside the IPv4 space does not cover it.
  set.insert(net("::fffe:0:0/96"));
  EXPECT_FALSE(set.contains(ip("11.1.1.1")));
}

TEST(CidrSetTest, ShortIpv4NetworksCoverTheirWholeRange) {
  CidrSet set({net("128.0.0.0/1"), net("10.0.0.0/15")});
  EXPECT_TRUE(set.contains(ip("255.255.255.255")));
  EXPECT_TRUE(set.contains(ip("128.0.0.0")));
  EXPECT_FALSE(set.contains(ip("127.255.255.255")));
  EXPECT_EQ(set.longest_match(ip("10.1.255.255")), net("10.0.0.0/15"));
  EXPECT_FALSE(set.contains(ip("10.2.0.0")));
  EXPECT_TRUE(set.erase(net("128.0.0.0/1")));
  EXPECT_FALSE(set.contains(ip("200.0.0.1")));
}

// Compares the set against a plain scan over many random networks of many lengths.
TEST(CidrSetTest, AgreesWithLinearScanOnRandomNetworks) {
  std::mt19937_64 random(7);
  std::vector<Cidr> networks;
  for (int i = 0; i < 1000; ++i) {
    IpAddress::Bytes bytes;
    for (auto& b : bytes)
      b = static_cast<std::uint8_t>(random());
    // Half IPv4, with short lengths common so that networks nest.
    const bool v4 = i % 2 == 0;
    const IpAddress address =
        v4 ? IpAddress::from_v4(static_cast<std::uint32_t>(random()) & 0x0fffffff)
           : IpAddress(bytes);
    const int bits = v4 ? 96 + static_cast<int>(random() % 33) : static_cast<int>(random() % 129);
    networks.push_back(Cidr{address.masked(bits), bits});
  }
  const CidrSet set(networks);

  for (int i = 0; i < 4000; ++i) {
    // Random IPv4 (nested networks), known networks (hits), random IPv6 (mostly misses).
    IpAddress::Bytes bytes;
    for (auto& b : bytes)
      b = static_cast<std::uint8_t>(random());
    const IpAddress probe =
        i % 3 == 0   ? IpAddress::from_v4(static_cast<std::uint32_t>(random()) & 0x0fffffff)
        : i % 3 == 1 ? networks[random() % networks.size()].network
                     : IpAddress(bytes);
    std::optional<Cidr> expected;
    for (const Cidr& n : networks) {
      if (n.contains(probe) && (!expected || n.bits > expected->bits)) expected = n;
    }
    ASSERT_EQ(set.longest_match(probe), expected) << probe.to_string();
  }
}

// Erasing must undo exactly what inserting did, including the per-/16 summaries.
TEST(CidrSetTest, AgreesWithLinearScanAfterRandomErasures) {
  std::mt19937_64 random(11);
  std::vector<Cidr> networks;
  for (int i = 0; i < 1500; ++i) {
    IpAddress::Bytes bytes;
    for (auto& b : bytes)
      b = static_cast<std::uint8_t>(random());
    bytes[0] = 0x20;  // crowd the IPv6 networks so that they share summaries
    const bool v4 = i % 2 == 0;
    const IpAddress address =
        v4 ? IpAddress::from_v4(static_cast<std::uint32_t>(random()) & 0x0f0fffff)
           : IpAddress(bytes);
    const int bits = v4 ? 96 + static_cast<int>(random() % 33) : static_cast<int>(random() % 129);
    networks.push_back(Cidr{address.masked(bits), bits});
  }
  CidrSet set(networks);

  std::vector<Cidr> kept;
  for (const Cidr& n : networks) {
    if (random() % 2 == 0) {
      set.erase(n);
    } else {
      kept.push_back(n);
    }
  }
  // Duplicates in `networks` may have been erased after being kept: put them back.
  for (const Cidr& n : kept)
    set.insert(n);

  for (int i = 0; i < 4000; ++i) {
    const IpAddress probe =
        i % 2 == 0 ? networks[random() % networks.size()].network
                   : IpAddress::from_v4(static_cast<std::uint32_t>(random()) & 0x0f0fffff);
    std::optional<Cidr> expected;
    for (const Cidr& n : kept) {
      if (n.contains(probe) && (!expected || n.bits > expected->bits)) expected = n;
    }
    ASSERT_EQ(set.longest_match(probe), expected) << probe.to_string();
  }

  for (const Cidr& n : kept)
    set.erase(n);
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(ip("::")));
  EXPECT_FALSE(set.contains(ip("0.0.0.0")));
}

}  // namespace
}  // namespace weir
