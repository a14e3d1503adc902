#include "config/upstream_url.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config_error.hpp"

namespace weir::config {
namespace {

using testing::HasSubstr;

// The message of the ConfigError that parsing `text` throws; fails the test if none is thrown.
std::string error_of(std::string_view text) {
  try {
    parse_upstream_url(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError for " << text;
  return "";
}

TEST(UpstreamUrl, HostAloneTakesPortEightyAndNoBasePath) {
  const UpstreamUrl url = parse_upstream_url("http://app");
  EXPECT_EQ(url.host, "app");
  EXPECT_EQ(url.port, 80);
  EXPECT_EQ(url.base_path, "");
  EXPECT_EQ(url.authority(), "app");
  EXPECT_EQ(url.to_string(), "http://app:80");
}

TEST(UpstreamUrl, ReadsPortAndBasePathDroppingTrailingSlashes) {
  const UpstreamUrl url = parse_upstream_url("http://127.0.0.1:3000/base/v1//");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 3000);
  EXPECT_EQ(url.base_path, "/base/v1");
  EXPECT_EQ(url.authority(), "127.0.0.1:3000");
  EXPECT_EQ(parse_upstream_url("http://app:8080/").base_path, "");
}

TEST(UpstreamUrl, BracketedIpv6HostIsKeptWithoutBrackets) {
  const UpstreamUrl url = parse_upstream_url("http://[::1]:3000/x");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.authority(), "[::1]:3000");
  EXPECT_EQ(url.to_string(), "http://[::1]:3000/x");
}

TEST(UpstreamUrl, KeepsPercentEscapesInTheBasePath) {
  EXPECT_EQ(parse_upstream_url("http://app/a%20b").base_path, "/a%20b");
  EXPECT_THAT(error_of("http://app/a%2"), HasSubstr("bad percent-escape"));
  EXPECT_THAT(error_of("http://app/a%zz"), HasSubstr("bad percent-escape"));
}

TEST(UpstreamUrl, RefusesWhatWeirCannotForwardTo) {
  EXPECT_THAT(error_of(""), HasSubstr("it is empty"));
  EXPECT_THAT(error_of("https://app"), HasSubstr("TLS (https://) upstreams are not supported"));
  EXPECT_THAT(error_of("ftp://app"), HasSubstr("the scheme must be http://"));
  EXPECT_THAT(error_of("http://"), HasSubstr("the host is missing"));
  EXPECT_THAT(error_of("http://:3000"), HasSubstr("the host is missing"));
  EXPECT_THAT(error_of("http://user:pw@app"), HasSubstr("credentials"));
  EXPECT_THAT(error_of("http://app/x?y=1"), HasSubstr("query or fragment"));
  EXPECT_THAT(error_of("http://app/x#y"), HasSubstr("query or fragment"));
  EXPECT_THAT(error_of("http://app:99999"), HasSubstr("\"99999\" is not a number in 1..65535"));
  EXPECT_THAT(error_of("http://app:x"), HasSubstr("1..65535"));
  EXPECT_THAT(error_of("http://10.0.0.300"), HasSubstr("not a host name or IP address"));
  EXPECT_THAT(error_of("http://::1:80"), HasSubstr("brackets"));
  EXPECT_THAT(error_of("http://[10.0.0.1]"), HasSubstr("not an IPv6 address"));
  EXPECT_THAT(error_of("http://app /x"), HasSubstr("space or control character"));
  EXPECT_THAT(error_of("http://app/a\"b"), HasSubstr("needs escaping"));
}

TEST(UpstreamUrl, HostHeaderValuesAreHostsWithOptionalPorts) {
  EXPECT_TRUE(is_host_header_value("api.example.com"));
  EXPECT_TRUE(is_host_header_value("api.example.com:8443"));
  EXPECT_TRUE(is_host_header_value("10.0.0.1:80"));
  EXPECT_TRUE(is_host_header_value("[2001:db8::1]:443"));
  EXPECT_FALSE(is_host_header_value(""));
  EXPECT_FALSE(is_host_header_value("a b"));
  EXPECT_FALSE(is_host_header_value("host\r\nX-Evil: 1"));
  EXPECT_FALSE(is_host_header_value("host:0"));
  EXPECT_FALSE(is_host_header_value("host/path"));
}

}  // namespace
}  // namespace weir::config
