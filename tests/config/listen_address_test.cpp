#include "config/listen_address.hpp"

#include <gtest/gtest.h>

namespace weir::config {
namespace {

TEST(ListenAddress, ParsesIpv4AndLocalhost) {
  EXPECT_EQ(ListenAddress::parse("0.0.0.0:8000"), (ListenAddress{"0.0.0.0", 8000}));
  EXPECT_EQ(ListenAddress::parse("localhost:1"), (ListenAddress{"localhost", 1}));
}

TEST(ListenAddress, ParsesBracketedIpv6) {
  EXPECT_EQ(ListenAddress::parse("[::1]:443"), (ListenAddress{"::1", 443}));
  EXPECT_EQ(ListenAddress::parse("[2001:db8::5]:65535"), (ListenAddress{"2001:db8::5", 65535}));
}

TEST(ListenAddress, PortZeroMeansAnyFreePort) {
  EXPECT_EQ(ListenAddress::parse("127.0.0.1:0"), (ListenAddress{"127.0.0.1", 0}));
}

TEST(ListenAddress, RejectsMalformedAddresses) {
  for (const char* text :
       {"", "8000", ":8000", "0.0.0.0", "0.0.0.0:", "0.0.0.0:65536", "0.0.0.0:-1", "0.0.0.0:+80",
        "0.0.0.0:80x", "0.0.0.0:123456", "::1:80", "[::1]", "[::1]80", "[1.2.3.4]:80", "[::1:80",
        "example.com:80", "256.0.0.1:80", "LOCALHOST:80", " 0.0.0.0:80"}) {
    EXPECT_FALSE(ListenAddress::parse(text)) << text;
  }
}

TEST(ListenAddress, ToStringRoundTrips) {
  for (const char* text : {"0.0.0.0:8000", "[::1]:443", "localhost:0"}) {
    const auto address = ListenAddress::parse(text);
    ASSERT_TRUE(address) << text;
    EXPECT_EQ(address->to_string(), text);
  }
}

}  // namespace
}  // namespace weir::config
