#include "http/upstream_body_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace weir::http {
namespace {

namespace bhttp = boost::beast::http;

// Feeds `bytes` to `parser` as a socket read would, draining the window whenever it fills;
// returns the body bytes relayed, or "error: ..." when the parser refuses.
std::string relay(UpstreamBodyParser& parser, std::string_view bytes, std::size_t window_bytes) {
  ProxyBuffer window(window_bytes);
  std::string relayed;
  boost::beast::error_code ec;
  while (!bytes.empty() && !parser.is_done()) {
    window.clear();
    parser.stream_body_to(&window);
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    parser.stream_body_to(nullptr);
    bytes.remove_prefix(used);
    relayed.append(window.data());
    if (ec == bhttp::error::need_buffer || ec == bhttp::error::need_more) {
      ec = {};
      continue;
    }
    if (ec) return "error: " + ec.message();
  }
  return relayed;
}

TEST(UpstreamBodyParser, DecodesChunksThroughAWindowSmallerThanTheBody) {
  UpstreamBodyParser parser(/*chunked=*/true);
  const std::string body = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Sum: 1\r\n\r\nnext";
  EXPECT_EQ(relay(parser, body, 4), "hello, world");
  EXPECT_TRUE(parser.is_done());
}

TEST(UpstreamBodyParser, RefusesAMalformedChunkSize) {
  UpstreamBodyParser parser(/*chunked=*/true);
  EXPECT_EQ(relay(parser, "zz\r\nhello\r\n0\r\n\r\n", 64).substr(0, 6), "error:");
}

TEST(UpstreamBodyParser, ReadsAnUnframedBodyUntilTheUpstreamCloses) {
  UpstreamBodyParser parser(/*chunked=*/false);
  EXPECT_EQ(relay(parser, "all of this is body", 8), "all of this is body");
  EXPECT_FALSE(parser.is_done());
  boost::beast::error_code ec;
  parser.put_eof(ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.is_done());
}

}  // namespace
}  // namespace weir::http
