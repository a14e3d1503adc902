#include "http/upstream_body_parser.hpp"

#include <limits>

#include <boost/asio/buffer.hpp>

namespace weir::http {

namespace beast = boost::beast;

UpstreamBodyParser::UpstreamBodyParser(bool chunked) {
  // The upstream's bodies are its business; weir only relays them. (Not boost::none: Beast
  // 1.74 compares the length against the optional, and every length exceeds an empty one.)
  body_limit(std::numeric_limits<std::uint64_t>::max());
  eager(true);
  // The real head is parsed already; this one puts Beast's parser where the body begins.
  constexpr std::string_view kChunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  constexpr std::string_view kUntilCloseHead = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string_view head = chunked ? kChunkedHead : kUntilCloseHead;
  beast::error_code ec;
  put(boost::asio::buffer(head.data(), head.size()), ec);
}

std::size_t UpstreamBodyParser::on_body_impl(std::string_view body, beast::error_code& ec) {
  if (window_ == nullptr) return body.size();
  return window_->fill(body, ec);
}

std::size_t UpstreamBodyParser::on_chunk_body_impl(std::uint64_t, std::string_view body,
                                                   beast::error_code& ec) {
  return on_body_impl(body, ec);
}

}  // namespace weir::http
