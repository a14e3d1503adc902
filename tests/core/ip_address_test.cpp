#include "weir/ip_address.hpp"

#include <string>
#include <string_view>

#include <absl/container/flat_hash_set.h>
#include <gtest/gtest.h>

namespace weir {
namespace {

IpAddress ip(std::string_view text) {
  const std::optional<IpAddress> parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress());
}

std::string canonical(std::string_view text) {
  return ip(text).to_string();
}

TEST(IpAddressTest, ParsesDottedQuadIntoMappedForm) {
  const IpAddress a = ip("192.0.2.33");
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.v4(), 0xC0000221u);
  const IpAddress::Bytes expected = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 33};
  EXPECT_EQ(a.bytes(), expected);
  EXPECT_EQ(a, IpAddress::from_v4(0xC0000221u));
  EXPECT_EQ(a.to_string(), "192.0.2.33");
}

TEST(IpAddressTest, MappedIpv6TextIsTheSameClientAsIpv4) {
  EXPECT_EQ(ip("::ffff:1.2.3.4"), ip("1.2.3.4"));
  EXPECT_EQ(ip("::FFFF:102:304"), ip("1.2.3.4"));
  EXPECT_EQ(ip("0:0:0:0:0:ffff:1.2.3.4"), ip("1.2.3.4"));
  EXPECT_EQ(canonical("::ffff:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(canonical("::ffff:0.0.0.0"), "0.0.0.0");
}

TEST(IpAddressTest, Ipv4EdgeValues) {
  EXPECT_EQ(canonical("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(canonical("255.255.255.255"), "255.255.255.255");
  EXPECT_EQ(ip("255.255.255.255").v4(), 0xFFFFFFFFu);
  EXPECT_EQ(canonical("10.0.100.7"), "10.0.100.7");
}

TEST(IpAddressTest, RejectsMalformedIpv4) {
  for (std::string_view bad :
       {"",           "1",          "1.2.3",    "1.2.3.4.5", "256.0.0.1", "1.2.3.256",
        "01.2.3.4",   "1.2.3.04",   "1.2.3.00", "1..3.4",    ".1.2.3",    "1.2.3.",
        "1.2.3.4 ",   " 1.2.3.4",   "1.2.3.-4", "1.2.3.+4",  "0x1.2.3.4", "1.2.3.4a",
        "1234.1.1.1", "1.2.3.1000", "a.b.c.d",  "1.2.3.4/8", "1,2,3,4"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(IpAddressTest, ParsesIpv6Forms) {
  IpAddress::Bytes loopback{};
  loopback[15] = 1;
  EXPECT_EQ(ip("::1").bytes(), loopback);
  EXPECT_EQ(ip("0:0:0:0:0:0:0:1").bytes(), loopback);
  EXPECT_EQ(ip("::"), IpAddress());
  EXPECT_FALSE(ip("::1").is_v4());
  EXPECT_EQ(ip("2001:DB8::1"), ip("2001:0db8:0000:0000:0000:0000:0000:0001"));
  EXPECT_EQ(ip("1::"), ip("1:0:0:0:0:0:0:0"));
  EXPECT_EQ(ip("1:2:3:4:5:6:7::"), ip("1:2:3:4:5:6:7:0"));
  EXPECT_EQ(ip("::2:3:4:5:6:7:8"), ip("0:2:3:4:5:6:7:8"));
  EXPECT_EQ(ip("64:ff9b::192.0.2.33"), ip("64:ff9b::c000:221"));
  EXPECT_EQ(ip("1:2:3:4:5:6:1.2.3.4"), ip("1:2:3:4:5:6:102:304"));
}

TEST(IpAddressTest, RejectsMalformedIpv6) {
  for (std::string_view bad : {":",
                               ":::",
                               "1:2",
                               ":1::",
                               "1::2:",
                               "1:::2",
                               "::1::",
                               "1::2::3",
                               "1:2:3:4:5:6:7",
                               "1:2:3:4:5:6:7:8:9",
                               "1:2:3:4:5:6:7:8::",
                               "::1:2:3:4:5:6:7:8",
                               "12345::",
                               "g::1",
                               "fe80::1%eth0",
                               "[::1]",
                               "::1 ",
                               "::1.2.3",
                               "::1.2.3.4.5",
                               "::01.2.3.4",
                               "::1.2.3.4:5",
                               "1.2.3.4::",
                               "::1.2.3.4::",
                               "1:2:3:4:5:6:7:1.2.3.4",
                               "1:2:3:4:5:6:7::1.2.3.4",
                               "::ffff:1.2.3.256",
                               "::1/128",
                               "1:2:3:4:5:6:7:8%"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(IpAddressTest, PrintsRfc5952CanonicalText) {
  EXPECT_EQ(canonical("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  EXPECT_EQ(canonical("0:0:0:0:0:0:0:0"), "::");
  EXPECT_EQ(canonical("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(canonical("1:0:0:0:0:0:0:0"), "1::");
  // A single zero group is not compressed.
  EXPECT_EQ(canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  // The longest run wins; on a tie, the first.
  EXPECT_EQ(canonical("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
  EXPECT_EQ(canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  EXPECT_EQ(canonical("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(canonical("0:0:0:0:0:ffff:0:0"), "0.0.0.0");
  // Only the mapped prefix prints as a dotted quad.
  EXPECT_EQ(canonical("::1.2.3.4"), "::102:304");
  EXPECT_EQ(canonical("::fffe:1.2.3.4"), "::fffe:102:304");
  EXPECT_EQ(canonical("1:0:0:ffff:1:2:3:4"), "1::ffff:1:2:3:4");
}

TEST(IpAddressTest, CanonicalTextParsesBackToTheSameAddress) {
  for (std::string_view text :
       {"::", "::1", "1::", "2001:db8::1", "fe80::1:2", "1:2:3:4:5:6:7:8", "::ffff:0:1", "1.2.3.4",
        "0.0.0.0", "2001:0:0:1::1", "a:b:c:d:e::", "::a:b:c:d:e:f"}) {
    EXPECT_EQ(ip(ip(text).to_string()), ip(text)) << text;
  }
}

TEST(IpAddressTest, MaskKeepsLeadingBits) {
  EXPECT_EQ(ip("2001:db8:1:2:3:4:5:6").masked(64), ip("2001:db8:1:2::"));
  EXPECT_EQ(ip("2001:db8:1:2:3:4:5:6").masked(28), ip("2001:db0::"));
  EXPECT_EQ(ip("2001:db8::1").masked(0), ip("::"));
  EXPECT_EQ(ip("2001:db8::1").masked(128), ip("2001:db8::1"));
  EXPECT_EQ(ip("2001:db8::1").masked(500), ip("2001:db8::1"));
  EXPECT_EQ(ip("2001:db8::1").masked(-3), ip("::"));
  EXPECT_EQ(ip("198.51.100.77").masked(96 + 24), ip("198.51.100.0"));
  EXPECT_EQ(ip("198.51.100.77").masked(96 + 25), ip("198.51.100.0"));
  EXPECT_EQ(ip("198.51.100.200").masked(96 + 25), ip("198.51.100.128"));
}

TEST(IpAddressTest, ParseHostPortAcceptsEveryPeerForm) {
  EXPECT_EQ(IpAddress::parse_host_port("192.0.2.1"), ip("192.0.2.1"));
  EXPECT_EQ(IpAddress::parse_host_port("192.0.2.1:8080"), ip("192.0.2.1"));
  EXPECT_EQ(IpAddress::parse_host_port("192.0.2.1:65535"), ip("192.0.2.1"));
  EXPECT_EQ(IpAddress::parse_host_port("2001:db8::1"), ip("2001:db8::1"));
  EXPECT_EQ(IpAddress::parse_host_port("[2001:db8::1]"), ip("2001:db8::1"));
  EXPECT_EQ(IpAddress::parse_host_port("[2001:db8::1]:443"), ip("2001:db8::1"));
  EXPECT_EQ(IpAddress::parse_host_port("[::ffff:1.2.3.4]:1"), ip("1.2.3.4"));
  EXPECT_EQ(IpAddress::parse_host_port(" \t198.51.100.7 "), ip("198.51.100.7"));
  EXPECT_EQ(IpAddress::parse_host_port("  [::1]:80\t"), ip("::1"));
}

TEST(IpAddressTest, ParseHostPortKeepsBareIpv6Whole) {
  // Splitting at the last ':' would read "2001:db8::1" as host "2001:db8:" and port "1".
  EXPECT_EQ(IpAddress::parse_host_port("2001:db8::1"), ip("2001:db8::1"));
  EXPECT_EQ(IpAddress::parse_host_port("::1"), ip("::1"));
  EXPECT_EQ(IpAddress::parse_host_port("1:2:3:4:5:6:7:8"), ip("1:2:3:4:5:6:7:8"));
  EXPECT_EQ(IpAddress::parse_host_port("fe80::443"), ip("fe80::443"));
}

TEST(IpAddressTest, ParseHostPortRejectsBadPortsAndBrackets) {
  for (std::string_view bad : {"",
                               "   ",
                               "1.2.3.4:",
                               "1.2.3.4:0",
                               "1.2.3.4:65536",
                               "1.2.3.4:99999",
                               "1.2.3.4:080",
                               "1.2.3.4:8a",
                               "1.2.3.4:-1",
                               "1.2.3.4:123456",
                               "[2001:db8::1",
                               "2001:db8::1]",
                               "[]",
                               "[]:80",
                               "[1.2.3.4]",
                               "[1.2.3.4]:80",
                               "[::1]:",
                               "[::1]80",
                               "[::1]:0",
                               "[::1]:70000",
                               "[::1]:http",
                               "[[::1]]",
                               "[fe80::1%eth0]:80",
                               "1.2.3.4:80:81",
                               "host:80",
                               "unknown",
                               "_hidden",
                               "1.2.3.4 :80",
                               "[::1] :80"}) {
    EXPECT_FALSE(IpAddress::parse_host_port(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(IpAddressTest, ParsersSurviveEveryTruncationAndByte) {
  // Every prefix of tricky inputs, and every single byte, must be handled without reading out
  // of bounds (run under a sanitizer to make a fault loud) or throwing.
  const std::string samples[] = {"[2001:db8:0:0:1:0:0:1]:65535", "::ffff:255.255.255.255",
                                 "1:2:3:4:5:6:7:8", "255.255.255.255:1"};
  for (const std::string& sample : samples) {
    for (std::size_t n = 0; n <= sample.size(); ++n) {
      const std::string_view prefix(sample.data(), n);
      (void)IpAddress::parse(prefix);
      (void)IpAddress::parse_host_port(prefix);
    }
  }
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const std::string_view one(&c, 1);
    EXPECT_FALSE(IpAddress::parse(one).has_value());
    EXPECT_FALSE(IpAddress::parse_host_port(one).has_value());
  }
}

TEST(IpAddressTest, OrderingAndHashingUseTheAddressValue) {
  EXPECT_LT(ip("::1"), ip("::2"));
  EXPECT_LT(ip("1.2.3.4"), ip("1.2.3.5"));
  absl::flat_hash_set<IpAddress> seen = {ip("1.2.3.4"), ip("::ffff:1.2.3.4"), ip("::1")};
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace weir
