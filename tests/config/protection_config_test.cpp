// The configuration keys of weir's defences: ban, admin, mode, timeouts.body_min_rate and
// body_grace, and the list files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"

namespace weir::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::AllOf;
using testing::HasSubstr;

Config load(std::string_view yaml) {
  return load_config_string(yaml, "weir.yml");
}

std::string error_of(std::string_view yaml) {
  try {
    load(yaml);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << yaml;
  return "";
}

TEST(ProtectionConfig, DefaultsHaveNoBansNoAdminAndEnforce) {
  const Config c = load("");
  EXPECT_FALSE(c.ban);
  EXPECT_TRUE(c.admin.token.empty());
  EXPECT_EQ(c.mode, Mode::kEnforce);
  EXPECT_EQ(c.limits.default_mode, Mode::kEnforce);
  EXPECT_EQ(c.timeouts.body_min_rate, 500u);
  EXPECT_EQ(c.timeouts.body_grace, seconds(5));
  EXPECT_TRUE(c.blocklist_file.empty());
}

TEST(ProtectionConfig, ReadsTheBanSection) {
  const Config c = load("ban: { after: 5, within: 60s, duration: 10m, max_duration: 24h }\n");
  ASSERT_TRUE(c.ban);
  EXPECT_EQ(c.ban->after, 5u);
  EXPECT_EQ(c.ban->within, seconds(60));
  EXPECT_EQ(c.ban->duration, minutes(10));
  EXPECT_EQ(c.ban->max_duration, hours(24));
}

TEST(ProtectionConfig, EmptyBanSectionEnablesBansWithDefaults) {
  const Config c = load("ban: {}\n");
  ASSERT_TRUE(c.ban);
  EXPECT_EQ(*c.ban, BanConfig{});
}

TEST(ProtectionConfig, BanDurationLongerThanDefaultMaximumRaisesTheMaximum) {
  const Config c = load("ban: { duration: 48h }\n");
  EXPECT_EQ(c.ban->max_duration, hours(48));
}

TEST(ProtectionConfig, RefusesBadBanValues) {
  EXPECT_THAT(error_of("ban: { after: 0 }\n"), AllOf(HasSubstr("ban.after"), HasSubstr("0")));
  EXPECT_THAT(error_of("ban: { duration: 1h, max_duration: 10m }\n"),
              AllOf(HasSubstr("ban.max_duration"), HasSubstr("shorter than ban.duration")));
  EXPECT_THAT(error_of("ban: { within: soon }\n"), HasSubstr("ban.within"));
  EXPECT_THAT(error_of("ban: { forever: true }\n"), HasSubstr("forever"));
}

TEST(ProtectionConfig, ReadsModeGloballyAndPerRule) {
  const Config c = load(R"(
mode: shadow
limits:
  default: { requests: 5, window: 1m, mode: shadow }
  routes:
    - { prefix: /a, requests: 1, window: 1s, mode: shadow }
    - { prefix: /b, requests: 1, window: 1s }
)");
  EXPECT_EQ(c.mode, Mode::kShadow);
  EXPECT_EQ(c.limits.default_mode, Mode::kShadow);
  EXPECT_EQ(c.limits.routes[0].mode, Mode::kShadow);
  EXPECT_EQ(c.limits.routes[1].mode, Mode::kEnforce);
  EXPECT_THAT(error_of("mode: dry\n"), AllOf(HasSubstr("mode"), HasSubstr("dry")));
}

TEST(ProtectionConfig, AdminTokenMustBeLongEnoughAndIsNeverEchoed) {
  EXPECT_EQ(load("admin: { token: 0123456789abcdef }\n").admin.token, "0123456789abcdef");
  const std::string error = error_of("admin: { token: short-secret }\n");
  EXPECT_THAT(error, AllOf(HasSubstr("admin.token"), HasSubstr("at least 16")));
  EXPECT_THAT(error, testing::Not(HasSubstr("short-secret")));
}

TEST(ProtectionConfig, ReadsBodyRateKeys) {
  const Config c = load("timeouts: { body_min_rate: 0, body_grace: 250ms }\n");
  EXPECT_EQ(c.timeouts.body_min_rate, 0u);
  EXPECT_EQ(c.timeouts.body_grace, milliseconds(250));
  EXPECT_THAT(error_of("timeouts: { body_min_rate: -1 }\n"), HasSubstr("body_min_rate"));
}

TEST(ProtectionConfig, CidrListIgnoresCommentsAndBlankLines) {
  const auto list = parse_cidr_list("# header\n\n10.0.0.0/8  # private\n\t2001:db8::1\r\n", "x");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], *Cidr::parse("10.0.0.0/8"));
  EXPECT_EQ(list[1], *Cidr::parse("2001:db8::1"));
}

TEST(ProtectionConfig, CidrListNamesTheFileLineAndText) {
  try {
    parse_cidr_list("10.0.0.0/8\n10.0.0.1/8\n", "blocked.txt");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("blocked.txt:2"), HasSubstr("10.0.0.1/8")));
  }
}

TEST(ProtectionConfig, ListFilesAreReadRelativeToTheConfigurationFile) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "weir-list-files";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "allow.txt") << "192.0.2.0/24\n";
  std::ofstream(dir / "block.txt") << "198.51.100.0/24\n";
  std::ofstream(dir / "weir.yml") << "blocklist: [203.0.113.0/24]\n"
                                     "allowlist_file: allow.txt\nblocklist_file: block.txt\n";
  const Config c = load_config_file((dir / "weir.yml").string());
  EXPECT_EQ(c.allowlist, (std::vector<Cidr>{*Cidr::parse("192.0.2.0/24")}));
  EXPECT_EQ(c.blocklist,
            (std::vector<Cidr>{*Cidr::parse("203.0.113.0/24"), *Cidr::parse("198.51.100.0/24")}));

  std::ofstream(dir / "weir.yml") << "blocklist_file: missing.txt\n";
  EXPECT_THROW(load_config_file((dir / "weir.yml").string()), ConfigError);
  std::filesystem::remove_all(dir);
}

TEST(ProtectionConfig, LoadingFromAStringReadsNoListFile) {
  const Config c = load("blocklist_file: /nonexistent/list.txt\n");
  EXPECT_EQ(c.blocklist_file, "/nonexistent/list.txt");
  EXPECT_TRUE(c.blocklist.empty());
}

}  // namespace
}  // namespace weir::config
