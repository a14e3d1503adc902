#include "weir/path.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace weir {
namespace {

std::string normal(std::string_view target) {
  const std::optional<std::string> path = normalize_path(target);
  EXPECT_TRUE(path.has_value()) << target;
  return path.value_or("<rejected>");
}

TEST(PathTest, PlainPathsStayAsTheyAre) {
  EXPECT_EQ(normal("/"), "/");
  EXPECT_EQ(normal("/api/v1/users"), "/api/v1/users");
  EXPECT_EQ(normal("/api/v1/users/"), "/api/v1/users/");
  EXPECT_EQ(normal("/a:b@c!$&'()*+,;="), "/a:b@c!$&'()*+,;=");
  EXPECT_EQ(normal("/..."), "/...");
  EXPECT_EQ(normal("/.hidden/..x/x.."), "/.hidden/..x/x..");
}

TEST(PathTest, DropsQueryAndFragment) {
  EXPECT_EQ(normal("/search?q=a/../b"), "/search");
  EXPECT_EQ(normal("/page#top"), "/page");
  EXPECT_EQ(normal("/?"), "/");
  EXPECT_EQ(normal("/a?b#c"), "/a");
  // A bad escape in the query is the query decoder's business, not the path's.
  EXPECT_EQ(normal("/a?x=%zz"), "/a");
}

TEST(PathTest, CollapsesEmptySegments) {
  EXPECT_EQ(normal("//"), "/");
  EXPECT_EQ(normal("///api//auth///login"), "/api/auth/login");
  EXPECT_EQ(normal("/api//"), "/api/");
}

TEST(PathTest, ResolvesDotSegments) {
  EXPECT_EQ(normal("/."), "/");
  EXPECT_EQ(normal("/./a/./b"), "/a/b");
  EXPECT_EQ(normal("/a/."), "/a/");
  EXPECT_EQ(normal("/a/b/../c"), "/a/c");
  EXPECT_EQ(normal("/a/b/.."), "/a/");
  EXPECT_EQ(normal("/a/b/../../c"), "/c");
  EXPECT_EQ(normal("/public/../admin/panel"), "/admin/panel");
  EXPECT_EQ(normal("/a/..//b"), "/b");
  EXPECT_EQ(normal("/a//../b"), "/b");
}

TEST(PathTest, NeverClimbsAboveTheRoot) {
  EXPECT_EQ(normal("/.."), "/");
  EXPECT_EQ(normal("/../"), "/");
  EXPECT_EQ(normal("/../../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(normal("/a/../../b"), "/b");
}

TEST(PathTest, DecodesUnreservedEscapesOnly) {
  EXPECT_EQ(normal("/api/%61uth"), "/api/auth");
  EXPECT_EQ(normal("/%41%5a%30%2D%2e%5F%7e"), "/AZ0-._~");
  // Reserved and other characters stay escaped, in uppercase.
  EXPECT_EQ(normal("/a%2fb"), "/a%2Fb");
  EXPECT_EQ(normal("/a%2Fb/../c"), "/c");
  EXPECT_EQ(normal("/a%3fb"), "/a%3Fb");
  EXPECT_EQ(normal("/%25"), "/%25");
  EXPECT_EQ(normal("/%2541"), "/%2541");
  EXPECT_EQ(normal("/caf%c3%a9"), "/caf%C3%A9");
  EXPECT_EQ(normal("/%00"), "/%00");
  EXPECT_EQ(normal("/%20"), "/%20");
}

TEST(PathTest, EncodedDotsAreDotSegments) {
  // Otherwise "/public/%2e%2e/admin" would dodge a rule for "/admin" at a backend that decodes.
  EXPECT_EQ(normal("/public/%2e%2e/admin"), "/admin");
  EXPECT_EQ(normal("/public/.%2E/admin"), "/admin");
  EXPECT_EQ(normal("/a/%2e/b"), "/a/b");
  // An encoded slash does not make a dot segment: "..%2F" is one segment.
  EXPECT_EQ(normal("/a/..%2Fb"), "/a/..%2Fb");
}

TEST(PathTest, RejectsTargetsNotInOriginForm) {
  for (std::string_view bad :
       {"", "*", "api/v1", "http://example.com/", "example.com:443", "?a", "#f", " /a", "\\a"}) {
    EXPECT_FALSE(normalize_path(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(PathTest, RejectsBadPercentEscapes) {
  for (std::string_view bad : {"/%", "/%4", "/a%", "/%zz", "/%4g", "/%g4", "/%%41", "/a/%2"}) {
    EXPECT_FALSE(normalize_path(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(PathTest, RejectsControlCharactersAndNul) {
  using namespace std::string_view_literals;
  for (std::string_view bad :
       {"/a\0b"sv, "/a\nb"sv, "/a\r\n"sv, "/\t"sv, "/\x7f"sv, "/a?q=\x01"sv, "/a#\0"sv}) {
    EXPECT_FALSE(normalize_path(bad).has_value());
  }
}

TEST(PathTest, BufferVariantReplacesContentsAndReportsFailure) {
  std::string out = "previous contents that are longer";
  ASSERT_TRUE(normalize_path("/a//b/../c?x", out));
  EXPECT_EQ(out, "/a/c");
  EXPECT_FALSE(normalize_path("no-slash", out));
  ASSERT_TRUE(normalize_path("/", out));
  EXPECT_EQ(out, "/");
}

TEST(PathTest, NormalizingTwiceChangesNothing) {
  for (std::string_view target :
       {"/a/./b/../c//d/", "/%2e%2e/%41%2f", "/x/%7E/..", "/a%2F..%2Fb", "/..."}) {
    const std::string once = normal(target);
    EXPECT_EQ(normal(once), once) << target;
  }
}

}  // namespace
}  // namespace weir
