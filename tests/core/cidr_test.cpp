#include "weir/cidr.hpp"

#include <string_view>

#include <gtest/gtest.h>

namespace weir {
namespace {

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}

TEST(CidrTest, Ipv4LengthsCountInTheMappedSpace) {
  const std::optional<Cidr> net = Cidr::parse("198.51.100.0/24");
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->bits, 96 + 24);
  EXPECT_EQ(net->network, ip("198.51.100.0"));
  EXPECT_TRUE(net->contains(ip("198.51.100.255")));
  EXPECT_TRUE(net->contains(ip("::ffff:198.51.100.9")));
  EXPECT_FALSE(net->contains(ip("198.51.101.0")));
  EXPECT_EQ(net->to_string(), "198.51.100.0/24");
}

TEST(CidrTest, BareAddressIsASingleHost) {
  EXPECT_EQ(Cidr::parse("2001:db8::1"), (Cidr{ip("2001:db8::1"), 128}));
  EXPECT_EQ(Cidr::parse("10.1.2.3"), (Cidr{ip("10.1.2.3"), 128}));
  EXPECT_EQ(Cidr::parse("10.1.2.3")->to_string(), "10.1.2.3/32");
  EXPECT_FALSE(Cidr::parse("10.1.2.3")->contains(ip("10.1.2.4")));
}

TEST(CidrTest, Ipv6Networks) {
  const Cidr net = Cidr::parse("2001:db8::/32").value();
  EXPECT_EQ(net.bits, 32);
  EXPECT_TRUE(net.contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(net.contains(ip("2001:db9::")));
  EXPECT_FALSE(net.contains(ip("1.2.3.4")));
  EXPECT_EQ(net.to_string(), "2001:db8::/32");
  EXPECT_EQ(Cidr::parse("::/0")->to_string(), "::/0");
  EXPECT_TRUE(Cidr::parse("::/0")->contains(ip("1.2.3.4")));
}

TEST(CidrTest, ZeroLengthIpv4CoversOnlyIpv4) {
  const Cidr all_v4 = Cidr::parse("0.0.0.0/0").value();
  EXPECT_EQ(all_v4.bits, 96);
  EXPECT_TRUE(all_v4.contains(ip("203.0.113.1")));
  EXPECT_FALSE(all_v4.contains(ip("2001:db8::1")));
  EXPECT_EQ(all_v4.to_string(), "0.0.0.0/0");
}

TEST(CidrTest, MappedIpv6NotationPrintsAsIpv4) {
  const Cidr net = Cidr::parse("::ffff:10.0.0.0/104").value();
  EXPECT_EQ(net, Cidr::parse("10.0.0.0/8").value());
  EXPECT_EQ(net.to_string(), "10.0.0.0/8");
}

TEST(CidrTest, RejectsHostBitsBelowThePrefix) {
  EXPECT_FALSE(Cidr::parse("10.0.0.1/8").has_value());
  EXPECT_FALSE(Cidr::parse("2001:db8::1/64").has_value());
  EXPECT_FALSE(Cidr::parse("198.51.100.128/24").has_value());
  EXPECT_TRUE(Cidr::parse("198.51.100.128/25").has_value());
}

TEST(CidrTest, RejectsMalformedText) {
  for (std::string_view bad :
       {"", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/8/8",
        "10.0.0.0/ 8", "10.0.0.0 /8", "::/129", "::/1000", "::/1x", "10.0.0/8", "[::]/0",
        "::ffff:10.0.0.0/8", "fe80::%1/64", "10.0.0.0/+8"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(CidrTest, ExtremeLengths) {
  EXPECT_EQ(Cidr::parse("255.255.255.255/32")->bits, 128);
  EXPECT_EQ(Cidr::parse("::/128")->bits, 128);
  EXPECT_EQ(Cidr::parse("8000::/1")->to_string(), "8000::/1");
  EXPECT_FALSE(Cidr::parse("8000::/0").has_value());
}

}  // namespace
}  // namespace weir
