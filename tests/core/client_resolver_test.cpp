#include "weir/client_resolver.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace weir {
namespace {

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}

ClientResolver resolver(ForwardedHeader header = ForwardedHeader::kXForwardedFor,
                        int max_hops = 32) {
  ClientResolverOptions options;
  options.trusted_proxies.insert(Cidr::parse("10.0.0.0/8").value());
  options.trusted_proxies.insert(Cidr::parse("fd00::/8").value());
  options.header = header;
  options.max_hops = max_hops;
  return ClientResolver(std::move(options));
}

const IpAddress kProxy = ip("10.0.0.5");

TEST(ClientResolverTest, UntrustedPeerIsTheClientWhateverItsHeaderSays) {
  const ClientResolver xff = resolver();
  EXPECT_EQ(xff.resolve(ip("203.0.113.9"), "1.1.1.1"), ip("203.0.113.9"));
  EXPECT_EQ(xff.resolve(ip("203.0.113.9"), "1.1.1.1, 10.0.0.1"), ip("203.0.113.9"));
  EXPECT_EQ(xff.resolve(ip("2001:db8::1"), "1.1.1.1"), ip("2001:db8::1"));

  const ClientResolver forwarded = resolver(ForwardedHeader::kForwarded);
  EXPECT_EQ(forwarded.resolve(ip("203.0.113.9"), "for=1.1.1.1"), ip("203.0.113.9"));
}

TEST(ClientResolverTest, NoTrustedProxiesMeansTheHeaderIsNeverRead) {
  const ClientResolver plain{ClientResolverOptions{}};
  EXPECT_EQ(plain.resolve(kProxy, "1.1.1.1"), kProxy);
}

TEST(ClientResolverTest, TrustedPeerWithoutHeaderIsTheClient) {
  EXPECT_EQ(resolver().resolve(kProxy, ""), kProxy);
  EXPECT_EQ(resolver(ForwardedHeader::kForwarded).resolve(kProxy, ""), kProxy);
}

TEST(ClientResolverTest, TrustedPeerNamesTheClient) {
  EXPECT_EQ(resolver().resolve(kProxy, "198.51.100.7"), ip("198.51.100.7"));
  EXPECT_EQ(resolver().resolve(kProxy, "2001:db8::7"), ip("2001:db8::7"));
  EXPECT_EQ(resolver().resolve(ip("fd00::1"), "198.51.100.7"), ip("198.51.100.7"));
}

TEST(ClientResolverTest, LeftSideSpoofBehindTrustedProxyIsIgnored) {
  // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended what it saw.
  EXPECT_EQ(resolver().resolve(kProxy, "1.1.1.1, 198.51.100.7"), ip("198.51.100.7"));
  // Forged trusted-looking entries on the left change nothing either.
  EXPECT_EQ(resolver().resolve(kProxy, "10.9.9.9, 1.1.1.1, 198.51.100.7"), ip("198.51.100.7"));
}

TEST(ClientResolverTest, ChainOfTrustedProxiesIsSkipped) {
  EXPECT_EQ(resolver().resolve(kProxy, "1.1.1.1, 198.51.100.7, 10.0.0.3, 10.0.0.2"),
            ip("198.51.100.7"));
  EXPECT_EQ(resolver().resolve(kProxy, "198.51.100.7,fd00::3,10.0.0.2"), ip("198.51.100.7"));
}

TEST(ClientResolverTest, EveryEntryTrustedMeansTheLeftmostIsTheClient) {
  EXPECT_EQ(resolver().resolve(kProxy, "10.0.0.9, 10.0.0.3, 10.0.0.2"), ip("10.0.0.9"));
}

TEST(ClientResolverTest, XffEntriesMayCarryPortsAndBrackets) {
  EXPECT_EQ(resolver().resolve(kProxy, "198.51.100.7:5555"), ip("198.51.100.7"));
  EXPECT_EQ(resolver().resolve(kProxy, "[2001:db8::7]:5555, 10.0.0.2:80"), ip("2001:db8::7"));
  EXPECT_EQ(resolver().resolve(kProxy, " [2001:db8::7] ,\t[fd00::2]"), ip("2001:db8::7"));
}

TEST(ClientResolverTest, UnparsableEntryStopsAtTheNearestTrustedHop) {
  EXPECT_EQ(resolver().resolve(kProxy, "garbage"), kProxy);
  EXPECT_EQ(resolver().resolve(kProxy, "unknown"), kProxy);
  EXPECT_EQ(resolver().resolve(kProxy, "1.1.1.1, garbage, 10.0.0.2"), ip("10.0.0.2"));
  EXPECT_EQ(resolver().resolve(kProxy, "1.1.1.1, , 10.0.0.2"), ip("10.0.0.2"));
  EXPECT_EQ(resolver().resolve(kProxy, "1.1.1.1, 10.0.0.2, "), kProxy);
  EXPECT_EQ(resolver().resolve(kProxy, ","), kProxy);
  EXPECT_EQ(resolver().resolve(kProxy, "1.1.1.1 2.2.2.2"), kProxy);
}

TEST(ClientResolverTest, ReadsAtMostMaxHopsEntries) {
  // Beyond the bound, the last address reached stands in for the client.
  const ClientResolver three = resolver(ForwardedHeader::kXForwardedFor, 3);
  EXPECT_EQ(three.resolve(kProxy, "198.51.100.7, 10.0.0.4, 10.0.0.3, 10.0.0.2"), ip("10.0.0.4"));
  EXPECT_EQ(three.resolve(kProxy, "198.51.100.7, 10.0.0.3, 10.0.0.2"), ip("198.51.100.7"));

  // A header of a hundred thousand trusted entries costs 32 entries of work.
  std::string huge;
  for (int i = 0; i < 100'000; ++i)
    huge += "10.0.0.1, ";
  huge += "10.0.0.2";
  EXPECT_EQ(resolver().resolve(kProxy, huge), ip("10.0.0.1"));
  EXPECT_EQ(resolver(ForwardedHeader::kForwarded).resolve(kProxy, "for=1.1.1.1, " + huge), kProxy);
}

TEST(ClientResolverTest, ForwardedHeaderTakesTheForParameter) {
  const ClientResolver r = resolver(ForwardedHeader::kForwarded);
  EXPECT_EQ(r.resolve(kProxy, "for=198.51.100.7"), ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "For=198.51.100.7"), ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "FOR=\"198.51.100.7\""), ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "for=\"[2001:db8::1]:4711\""), ip("2001:db8::1"));
  EXPECT_EQ(r.resolve(kProxy, "for=\"[2001:db8::1]\";proto=https"), ip("2001:db8::1"));
  EXPECT_EQ(r.resolve(kProxy, "proto=http;for=198.51.100.7;by=10.0.0.5"), ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "host=\"a;b,c\"; for=198.51.100.7"), ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "for=\"198.51.100.7:_port1\""), ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "for=\"[2001:db8::1]:_x\""), ip("2001:db8::1"));
}

TEST(ClientResolverTest, ForwardedHeaderWalksElementsFromTheRight) {
  const ClientResolver r = resolver(ForwardedHeader::kForwarded);
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1, for=198.51.100.7;proto=https, for=10.0.0.2"),
            ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "for=10.0.0.9, for=\"[fd00::3]:80\""), ip("10.0.0.9"));
  // A quoted comma does not split an element.
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1, for=198.51.100.7;ext=\"a, for=10.0.0.1\""),
            ip("198.51.100.7"));
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1, for=198.51.100.7;ext=\"a\\\", for=10.0.0.1\""),
            ip("198.51.100.7"));
}

TEST(ClientResolverTest, ForwardedUnknownAndObfuscatedNodesAreUnparsable) {
  const ClientResolver r = resolver(ForwardedHeader::kForwarded);
  EXPECT_EQ(r.resolve(kProxy, "for=unknown"), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1, for=_hidden, for=10.0.0.2"), ip("10.0.0.2"));
  EXPECT_EQ(r.resolve(kProxy, "for=\"_hidden:80\""), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1, proto=https"), kProxy);  // no for= at all
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1;for=2.2.2.2"), kProxy);   // twice in one element
  EXPECT_EQ(r.resolve(kProxy, "for=\"1.1.1.1"), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "for=\"1.1.1\\.1\""), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "for"), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "for="), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "\""), kProxy);
  EXPECT_EQ(r.resolve(kProxy, "for=1.1.1.1:_"), kProxy);
}

TEST(ClientResolverTest, Ipv6ClientsAreKeyedByTheirPrefix) {
  const ClientResolver r = resolver();
  // Rotating addresses inside one /64 spends one budget.
  EXPECT_EQ(r.key_of(ip("2001:db8:1:2::1")), r.key_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_EQ(r.key_of(ip("2001:db8:1:2:abcd::9")), ip("2001:db8:1:2::"));
  EXPECT_NE(r.key_of(ip("2001:db8:1:2::1")), r.key_of(ip("2001:db8:1:3::1")));
  // IPv4 is never masked: neighbours are different clients.
  EXPECT_EQ(r.key_of(ip("198.51.100.7")), ip("198.51.100.7"));
  EXPECT_NE(r.key_of(ip("198.51.100.7")), r.key_of(ip("198.51.100.8")));
}

TEST(ClientResolverTest, Ipv6PrefixIsConfigurable) {
  ClientResolverOptions options;
  options.ipv6_prefix = 48;
  const ClientResolver r(std::move(options));
  EXPECT_EQ(r.key_of(ip("2001:db8:1:2::1")), ip("2001:db8:1::"));

  ClientResolverOptions exact;
  exact.ipv6_prefix = 128;
  EXPECT_EQ(ClientResolver(std::move(exact)).key_of(ip("2001:db8::1")), ip("2001:db8::1"));
}

TEST(ClientResolverTest, RejectsOutOfRangeOptions) {
  ClientResolverOptions prefix;
  prefix.ipv6_prefix = 129;
  EXPECT_THROW(ClientResolver{std::move(prefix)}, std::invalid_argument);
  ClientResolverOptions negative;
  negative.ipv6_prefix = -1;
  EXPECT_THROW(ClientResolver{std::move(negative)}, std::invalid_argument);
  ClientResolverOptions hops;
  hops.max_hops = 0;
  EXPECT_THROW(ClientResolver{std::move(hops)}, std::invalid_argument);
}

}  // namespace
}  // namespace weir
