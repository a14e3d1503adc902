#include "weir/rule_set.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace weir {
namespace {

Rule route(std::string prefix, std::uint32_t requests = 10) {
  Limit limit;
  limit.requests = requests;
  return Rule{prefix, prefix, limit};
}

Rule default_rule() {
  return Rule{"default", "/", Limit{}};
}

TEST(RuleSetTest, DefaultRuleIsIndexZeroAndRoutesFollowInOrder) {
  const RuleSet rules(default_rule(), {route("/api", 5), route("/login", 6)});
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules.rule(0).name, "default");
  EXPECT_EQ(rules.rule(1).prefix, "/api");
  EXPECT_EQ(rules.rule(1).limit.requests, 5u);
  EXPECT_EQ(rules.rule(2).prefix, "/login");
}

TEST(RuleSetTest, UnmatchedPathsFallUnderTheDefault) {
  const RuleSet rules(default_rule(), {route("/api")});
  EXPECT_EQ(rules.match("/"), 0u);
  EXPECT_EQ(rules.match("/static/app.js"), 0u);
  EXPECT_EQ(rules.match("/ap"), 0u);
  EXPECT_EQ(rules.match(""), 0u);

  const RuleSet no_routes(default_rule(), {});
  EXPECT_EQ(no_routes.match("/api"), 0u);
}

TEST(RuleSetTest, PrefixesMatchWholeSegmentsOnly) {
  const RuleSet rules(default_rule(), {route("/api/auth")});
  EXPECT_EQ(rules.match("/api/auth"), 1u);
  EXPECT_EQ(rules.match("/api/auth/"), 1u);
  EXPECT_EQ(rules.match("/api/auth/login"), 1u);
  EXPECT_EQ(rules.match("/api/authx"), 0u);
  EXPECT_EQ(rules.match("/api/auth.json"), 0u);
  EXPECT_EQ(rules.match("/api"), 0u);
  EXPECT_EQ(rules.match("/API/auth"), 0u);
}

TEST(RuleSetTest, LongestPrefixWinsWhateverTheOrder) {
  const RuleSet rules(default_rule(),
                      {route("/api"), route("/api/auth/login"), route("/api/auth"), route("/")});
  EXPECT_EQ(rules.match("/api/auth/login"), 2u);
  EXPECT_EQ(rules.match("/api/auth/login/x"), 2u);
  EXPECT_EQ(rules.match("/api/auth/logout"), 3u);
  EXPECT_EQ(rules.match("/api/authx"), 1u);
  EXPECT_EQ(rules.match("/api/users"), 1u);
  EXPECT_EQ(rules.match("/home"), 4u);
  EXPECT_EQ(rules.match("/"), 4u);
}

TEST(RuleSetTest, RootPrefixMatchesEverything) {
  const RuleSet rules(default_rule(), {route("/")});
  EXPECT_EQ(rules.match("/"), 1u);
  EXPECT_EQ(rules.match("/anything/at/all"), 1u);
}

TEST(RuleSetTest, RoutePrefixesAreNormalised) {
  const RuleSet rules(default_rule(), {route("/api/"), route("//v2/./x/../users"),
                                       route("/%61dmin"), route("/%7e")});
  EXPECT_EQ(rules.rule(1).prefix, "/api");
  EXPECT_EQ(rules.rule(2).prefix, "/v2/users");
  EXPECT_EQ(rules.rule(3).prefix, "/admin");
  EXPECT_EQ(rules.rule(4).prefix, "/~");
  EXPECT_EQ(rules.rule(1).name, "/api/");  // the name is the operator's, untouched
  EXPECT_EQ(rules.match("/api"), 1u);
  EXPECT_EQ(rules.match("/v2/users/7"), 2u);
  EXPECT_EQ(rules.match("/admin"), 3u);
}

TEST(RuleSetTest, EncodedSlashIsPartOfASegment) {
  const RuleSet rules(default_rule(), {route("/a%2Fb"), route("/a")});
  EXPECT_EQ(rules.match("/a%2Fb"), 1u);
  EXPECT_EQ(rules.match("/a%2Fb/c"), 1u);
  EXPECT_EQ(rules.match("/a/b"), 2u);
  EXPECT_EQ(rules.match("/a%2Fbc"), 0u);
}

TEST(RuleSetTest, FirstOfTwoEqualPrefixesWins) {
  const RuleSet rules(default_rule(), {route("/x", 1), route("/x/", 2)});
  EXPECT_EQ(rules.match("/x/y"), 1u);
}

TEST(RuleSetTest, RejectsPrefixesThatAreNotAbsolutePaths) {
  for (std::string bad : {"api", "", "http://host/api", "/api?x=1", "/api#f", "/a%zz", "/a\nb"}) {
    try {
      RuleSet rules(default_rule(), {route(bad)});
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("'" + bad + "'"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace weir
