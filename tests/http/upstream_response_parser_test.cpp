#include "http/upstream_response_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "http/hop_by_hop.hpp"

namespace weir::http {
namespace {

namespace bhttp = boost::beast::http;

// Parses `response` whole and returns the head written for the client (or "error: ...").
std::string client_head(std::string_view response, int client_version = 11,
                        bool drop_rate_limit_fields = true) {
  std::string head;
  UpstreamResponseParser parser(head, client_version, drop_rate_limit_fields);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(response.data(), response.size()), ec);
  if (ec) return "error: " + ec.message();
  if (!parser.is_header_done()) return "error: incomplete";
  return head;
}

TEST(UpstreamResponseParser, WritesTheStatusLineInTheClientsVersionAndKeepsEndToEndFields) {
  const std::string response =
      "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-App: a, b\r\n"
      "Content-Length: 2\r\n\r\nok";
  EXPECT_EQ(client_head(response),
            "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-App: a, b\r\n"
            "Content-Length: 2\r\n");
  EXPECT_EQ(client_head(response, 10).substr(0, 22), "HTTP/1.0 201 Created\r\n");
}

TEST(UpstreamResponseParser, FillsInAMissingReasonPhrase) {
  EXPECT_EQ(client_head("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n");
}

TEST(UpstreamResponseParser, DropsHopByHopFieldsAndThoseTheConnectionFieldNames) {
  const std::string head = client_head(
      "HTTP/1.1 200 OK\r\nX-Secret: 1\r\nConnection: keep-alive, X-Secret\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\n"
      "Transfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n");
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nX-Kept: yes\r\n");
}

TEST(UpstreamResponseParser, DropsTheUpstreamsRateLimitFieldsOnlyWhenAsked) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 9\r\nRateLimit: \"a\";r=1;t=2\r\n"
      "RateLimit-Policy: \"a\";q=9;w=1\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(client_head(response, 11, true), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
  EXPECT_EQ(client_head(response, 11, false),
            "HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 9\r\nRateLimit: \"a\";r=1;t=2\r\n"
            "RateLimit-Policy: \"a\";q=9;w=1\r\nContent-Length: 0\r\n");
}

TEST(UpstreamResponseParser, RefusesAmbiguousFraming) {
  EXPECT_EQ(
      client_head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n").substr(0, 6),
      "error:");
  EXPECT_EQ(
      client_head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n")
          .substr(0, 6),
      "error:");
}

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
