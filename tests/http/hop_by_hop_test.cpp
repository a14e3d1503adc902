#include "http/hop_by_hop.hpp"

#include <gtest/gtest.h>

namespace weir::http {
namespace {

namespace bhttp = boost::beast::http;

TEST(HopByHop, KnowsTheConnectionSpecificFields) {
  EXPECT_TRUE(is_hop_by_hop(bhttp::field::connection, "Connection"));
  EXPECT_TRUE(is_hop_by_hop(bhttp::field::te, "TE"));
  EXPECT_TRUE(is_hop_by_hop(bhttp::field::unknown, "Proxy-Whatever"));
  EXPECT_FALSE(is_hop_by_hop(bhttp::field::content_type, "Content-Type"));
  EXPECT_FALSE(is_hop_by_hop(bhttp::field::unknown, "Proxied"));
}

TEST(HopByHop, ReadsConnectionOptions) {
  EXPECT_TRUE(lists_token(" keep-alive ,X-Private", "x-private"));
  EXPECT_FALSE(lists_token("keep-alive, X-Private-2", "x-private"));
  EXPECT_FALSE(names_other_fields("close"));
  EXPECT_FALSE(names_other_fields("Keep-Alive, Upgrade, TE"));
  EXPECT_TRUE(names_other_fields("keep-alive, X-Private"));
  EXPECT_FALSE(names_other_fields(" , "));
}

}  // namespace
}  // namespace weir::http
