#include "http/admin_api.hpp"

#include <gtest/gtest.h>

namespace weir::http {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(AdminApi, SecretsEqualOnlyWhenIdentical) {
  EXPECT_TRUE(secrets_equal("0123456789abcdef", "0123456789abcdef"));
  EXPECT_FALSE(secrets_equal("0123456789abcdeF", "0123456789abcdef"));
  EXPECT_FALSE(secrets_equal("0123456789abcde", "0123456789abcdef"));
  EXPECT_FALSE(secrets_equal("0123456789abcdef0", "0123456789abcdef"));
  EXPECT_FALSE(secrets_equal("", ""));  // no token configured never matches
}

TEST(AdminApi, ParsesTtls) {
  EXPECT_EQ(parse_ttl("500ms"), milliseconds(500));
  EXPECT_EQ(parse_ttl("30s"), seconds(30));
  EXPECT_EQ(parse_ttl("10m"), minutes(10));
  EXPECT_EQ(parse_ttl("2h"), hours(2));
  EXPECT_EQ(parse_ttl("7d"), hours(7 * 24));
  for (std::string_view bad : {"", "10", "m", "0s", "-5s", "1.5h", "10x", "999999999999d"}) {
    EXPECT_FALSE(parse_ttl(bad)) << bad;
  }
}

TEST(AdminApi, PercentDecodes) {
  EXPECT_EQ(percent_decode("10.0.0.0%2F8"), "10.0.0.0/8");
  EXPECT_EQ(percent_decode("2001%3adb8::%2f32"), "2001:db8::/32");
  EXPECT_FALSE(percent_decode("10%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%"));
}

TEST(AdminApi, OwnsOnlyTheAdminPrefix) {
  EXPECT_TRUE(AdminApi::owns("/admin/blocks"));
  EXPECT_FALSE(AdminApi::owns("/administrator"));
  EXPECT_FALSE(AdminApi::owns("/metrics"));
}

}  // namespace
}  // namespace weir::http
