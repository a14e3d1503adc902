#include "config/redis_url.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config_error.hpp"

namespace weir::config {
namespace {

using testing::AllOf;
using testing::HasSubstr;
using testing::Not;

// The message of the ConfigError that parsing `text` throws; fails the test if none is thrown.
std::string error_of(std::string_view text) {
  try {
    parse_redis_url(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError for " << text;
  return "";
}

TEST(RedisUrl, HostAloneTakesDefaultPortAndDb) {
  const RedisUrl url = parse_redis_url("redis://redis.internal");
  EXPECT_EQ(url.scheme, RedisUrl::Scheme::kTcp);
  EXPECT_EQ(url.host, "redis.internal");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0u);
  EXPECT_TRUE(url.user.empty());
  EXPECT_TRUE(url.password.empty());
}

TEST(RedisUrl, ReadsEveryPart) {
  const RedisUrl url = parse_redis_url("redis://weir:s3cret@10.0.0.5:6380/7");
  EXPECT_EQ(url.host, "10.0.0.5");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.db, 7u);
  EXPECT_EQ(url.user, "weir");
  EXPECT_EQ(url.password, "s3cret");
}

TEST(RedisUrl, PasswordWithoutUserUsesTheDefaultUser) {
  const RedisUrl url = parse_redis_url("redis://:s3cret@127.0.0.1:6379/0");
  EXPECT_TRUE(url.user.empty());
  EXPECT_EQ(url.password, "s3cret");
}

TEST(RedisUrl, DecodesPercentEscapesInCredentials) {
  const RedisUrl url = parse_redis_url("redis://we%69r:p%40ss%3Aw%2Fd@localhost");
  EXPECT_EQ(url.user, "weir");
  EXPECT_EQ(url.password, "p@ss:w/d");
  EXPECT_EQ(url.host, "localhost");
}

TEST(RedisUrl, LastAtSignEndsTheCredentials) {
  const RedisUrl url = parse_redis_url("redis://u:p@ss@db1:7000");
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.host, "db1");
  EXPECT_EQ(url.port, 7000);
}

TEST(RedisUrl, ReadsBracketedIpv6Host) {
  const RedisUrl url = parse_redis_url("redis://[::1]:6390/3");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 6390);
  EXPECT_EQ(url.db, 3u);
  EXPECT_EQ(parse_redis_url("redis://[2001:db8::7]").port, 6379);
}

TEST(RedisUrl, TrailingSlashMeansDbZero) {
  EXPECT_EQ(parse_redis_url("redis://h:1/").db, 0u);
}

TEST(RedisUrl, ReadsUnixSocketForms) {
  const RedisUrl plain = parse_redis_url("unix:///var/run/redis/redis.sock");
  EXPECT_EQ(plain.scheme, RedisUrl::Scheme::kUnix);
  EXPECT_EQ(plain.path, "/var/run/redis/redis.sock");
  EXPECT_EQ(plain.db, 0u);

  const RedisUrl full = parse_redis_url("unix://weir:pw@/tmp/r.sock?db=4");
  EXPECT_EQ(full.path, "/tmp/r.sock");
  EXPECT_EQ(full.db, 4u);
  EXPECT_EQ(full.user, "weir");
  EXPECT_EQ(full.password, "pw");
}

TEST(RedisUrl, RedactedHidesThePassword) {
  EXPECT_EQ(parse_redis_url("redis://weir:s3cret@10.0.0.5:6380/2").redacted(),
            "redis://weir:***@10.0.0.5:6380/2");
  EXPECT_EQ(parse_redis_url("redis://[::1]").redacted(), "redis://[::1]:6379/0");
  EXPECT_EQ(parse_redis_url("unix://:pw@/tmp/r.sock?db=4").redacted(),
            "unix://:***@/tmp/r.sock?db=4");
  EXPECT_EQ(parse_redis_url("unix:///tmp/r.sock").redacted(), "unix:///tmp/r.sock");
}

TEST(RedisUrl, RedactsUnparsedText) {
  EXPECT_EQ(redact_redis_url("redis://u:secret@h:99999"), "redis://u:***@h:99999");
  EXPECT_EQ(redact_redis_url("redis://secret@h"), "redis://***@h");
  EXPECT_EQ(redact_redis_url("u:secret@h"), "u:***@h");
  EXPECT_EQ(redact_redis_url("redis://h:6379"), "redis://h:6379");
}

TEST(RedisUrl, RejectsBadSchemes) {
  EXPECT_THAT(error_of("http://h:6379"),
              AllOf(HasSubstr("\"http://h:6379\" is not a redis url"),
                    HasSubstr("the scheme must be redis://, unix:// or redis-cluster://")));
  EXPECT_THAT(error_of("10.0.0.5:6379"), HasSubstr("the scheme must be"));
  EXPECT_THAT(error_of("rediss://h"), HasSubstr("TLS (rediss://) is not supported"));
  EXPECT_THAT(error_of(""), HasSubstr("it is empty"));
}

TEST(RedisUrl, RejectsBadHostsPortsAndDbs) {
  EXPECT_THAT(error_of("redis://"), HasSubstr("the host is missing"));
  EXPECT_THAT(error_of("redis://:6379"), HasSubstr("the host is missing"));
  EXPECT_THAT(error_of("redis://h:0"), HasSubstr("the port \"0\" is not a number in 1..65535"));
  EXPECT_THAT(error_of("redis://h:65536"), HasSubstr("the port \"65536\""));
  EXPECT_THAT(error_of("redis://h:abc"), HasSubstr("the port \"abc\""));
  EXPECT_THAT(error_of("redis://h:"), HasSubstr("the port \"\""));
  EXPECT_THAT(error_of("redis://10.0.0.300"), HasSubstr("\"10.0.0.300\" is not an IPv4 address"));
  EXPECT_THAT(error_of("redis://bad_host!"), HasSubstr("is not a host name or IP address"));
  EXPECT_THAT(error_of("redis://a..b"), HasSubstr("is not a host name"));
  EXPECT_THAT(error_of("redis://::1:6379"), HasSubstr("must be written in brackets"));
  EXPECT_THAT(error_of("redis://[::1"), HasSubstr("is not closed"));
  EXPECT_THAT(error_of("redis://[nothost]:1"), HasSubstr("\"nothost\" is not an IPv6 address"));
  EXPECT_THAT(error_of("redis://h/x"), HasSubstr("the database \"x\" is not a number"));
  EXPECT_THAT(error_of("redis://h/-1"), HasSubstr("the database \"-1\""));
  EXPECT_THAT(error_of("redis://h/2147483648"), HasSubstr("the database \"2147483648\""));
  EXPECT_THAT(error_of("redis://h?db=1"), HasSubstr("takes no query parameters"));
  EXPECT_THAT(error_of("redis://h :1"), HasSubstr("space or control character"));
}

TEST(RedisUrl, RejectsBadUnixForms) {
  EXPECT_THAT(error_of("unix://"), HasSubstr("the socket path is missing"));
  EXPECT_THAT(error_of("unix://relative.sock"), HasSubstr("must be absolute"));
  EXPECT_THAT(error_of("unix:///tmp/r.sock?timeout=5"), HasSubstr("unknown parameter"));
  EXPECT_THAT(error_of("unix:///tmp/r.sock?db=x"), HasSubstr("the database \"x\""));
  EXPECT_THAT(error_of("unix:///" + std::string(120, 'a')), HasSubstr("longer than 107 bytes"));
}

TEST(RedisUrl, ErrorsNeverContainThePassword) {
  for (const char* text :
       {"redis://weir:hunter2@h:0", "redis://weir:hunter2@", "redis://weir:hunter2@[::1",
        "redis://hunter2@h", "redis://weir:hunter2%zz@h", "rediss://weir:hunter2@h",
        "http://weir:hunter2@h", "unix://weir:hunter2@/tmp/s?x=1", "redis://we%zz:hunter2@h"}) {
    const std::string message = error_of(text);
    EXPECT_THAT(message, AllOf(Not(HasSubstr("hunter2")), HasSubstr("***"))) << text;
  }
}

TEST(RedisUrl, CredentialsNeedAPassword) {
  EXPECT_THAT(error_of("redis://weir@h"), HasSubstr("credentials need a password"));
  EXPECT_THAT(error_of("redis://weir:@h"), HasSubstr("the password is empty"));
  EXPECT_THAT(error_of("redis://u:p%4@h"), HasSubstr("the password has a bad percent-escape"));
}

TEST(RedisUrl, ReadsClusterSeedsInOrder) {
  const RedisUrl url = parse_redis_url("redis-cluster://10.0.0.1:7000,redis-b,[::1]:7002");
  EXPECT_EQ(url.scheme, RedisUrl::Scheme::kCluster);
  ASSERT_EQ(url.seeds.size(), 3u);
  EXPECT_EQ(url.seeds[0], (RedisSeed{"10.0.0.1", 7000}));
  EXPECT_EQ(url.seeds[1], (RedisSeed{"redis-b", 6379}));
  EXPECT_EQ(url.seeds[2], (RedisSeed{"::1", 7002}));
  EXPECT_EQ(url.host, "10.0.0.1");
  EXPECT_EQ(url.port, 7000);
  EXPECT_EQ(url.db, 0u);
}

TEST(RedisUrl, ReadsClusterCredentialsAndRedactsThem) {
  const RedisUrl url = parse_redis_url("redis-cluster://weir:s3cret@h1:7000,h2:7001");
  EXPECT_EQ(url.user, "weir");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.redacted(), "redis-cluster://weir:***@h1:7000,h2:7001");
  EXPECT_EQ(parse_redis_url("redis-cluster://h1").redacted(), "redis-cluster://h1:6379");
}

TEST(RedisUrl, RejectsBadClusterForms) {
  EXPECT_THAT(error_of("redis-cluster://"), HasSubstr("no seed node is given"));
  EXPECT_THAT(error_of("redis-cluster://h1:7000,,h2"), HasSubstr("a seed node is empty"));
  EXPECT_THAT(error_of("redis-cluster://h1:7000,"), HasSubstr("a seed node is empty"));
  EXPECT_THAT(error_of("redis-cluster://h1:7000/2"), HasSubstr("takes no database"));
  EXPECT_THAT(error_of("redis-cluster://h1:7000?db=1"), HasSubstr("takes no database"));
  EXPECT_THAT(error_of("redis-cluster://h1:0"), HasSubstr("the port \"0\" is not a number"));
  EXPECT_THAT(error_of("redis-cluster://h1,10.0.0.300"), HasSubstr("is not an IPv4 address"));
  EXPECT_THAT(error_of("redis-cluster://h1:7000,h1:7000"), HasSubstr("given twice"));
  EXPECT_THAT(error_of("redis-cluster://weir:hunter2@h1,"),
              AllOf(Not(HasSubstr("hunter2")), HasSubstr("***")));
}

}  // namespace
}  // namespace weir::config
