// Fuzzes weir's HTTP request head parser (src/http/request_parser.hpp) as the server drives
// it: bytes fed to Beast's parser.put() in arbitrary pieces, under small limits so the limit
// paths are reached too. The first input byte picks the piece size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "http/request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  weir::http::RequestLimits limits{
      .max_header_bytes = 2048, .max_headers = 16, .max_uri_bytes = 256, .max_body_bytes = 1024};
  weir::http::RequestHead head;
  weir::http::RequestParser parser(head, limits,
                                   (data[0] & 0x80) ? "forwarded" : "x-forwarded-for");
  parser.eager(true);

  // Like a socket read: what the parser did not consume stays buffered for the next call.
  std::string buffered;
  boost::beast::error_code ec;
  while (!input.empty() && !parser.is_done()) {
    buffered.append(input.substr(0, piece));
    input.remove_prefix(std::min(piece, input.size()));
    const std::size_t used = parser.put(boost::asio::buffer(buffered), ec);
    buffered.erase(0, used);
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      continue;
    }
    if (ec) {
      (void)parser.classify(ec);
      break;
    }
  }
  if (parser.is_header_done()) {
    (void)parser.keep_alive();
    (void)parser.content_length();
  }
  return 0;
}
