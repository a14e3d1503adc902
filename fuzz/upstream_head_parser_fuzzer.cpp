// Fuzzes weir's parser of upstream response heads (src/http/upstream_head_parser.hpp) as the
// proxy drives it: the bytes arrive in pieces, and each call sees all of them so far. The first
// input byte picks the piece size and whether the request was HEAD.
//
// Checks besides crashes: the result does not depend on the pieces; a head that both it and
// Beast's response parser accept has the same status and framing in both; and the head written
// for the client is well formed: CRLF line ends, no bare CR or LF, no hop-by-hop field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/upstream_head_parser.hpp"

namespace {

using weir::http::UpstreamHeadParser;
namespace bhttp = boost::beast::http;

void check(bool condition) {
  if (!condition) std::abort();
}

bool has_field(std::string_view head, std::string_view lower_name) {
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const std::size_t start = at + 2;
    const std::size_t colon = head.find(':', start);
    std::string name(head.substr(start, colon - start));
    for (char& c : name)
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (name == lower_name) return true;
    at = head.find("\r\n", start);
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const bool head_request = (data[0] & 0x80) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string whole_head;
  UpstreamHeadParser whole(whole_head, 11, true);
  const auto result = whole.parse(input, head_request);

  std::string head;
  UpstreamHeadParser pieces(head, 11, true);
  auto piece_result = UpstreamHeadParser::kNeedMore;
  for (std::size_t received = 0;
       piece_result == UpstreamHeadParser::kNeedMore && received < input.size();) {
    received = std::min(input.size(), received + piece);
    piece_result = pieces.parse(input.substr(0, received), head_request);
  }
  check(piece_result == result);
  if (result != UpstreamHeadParser::kDone) return 0;
  check(head == whole_head);
  check(pieces.head_bytes() == whole.head_bytes() && whole.head_bytes() <= input.size());

  // The client's head: CRLF-terminated lines with no stray CR or LF, and nothing hop-by-hop.
  check(head.size() >= 2 && head.ends_with("\r\n"));
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') check(i + 1 < head.size() && head[i + 1] == '\n');
    if (head[i] == '\n') check(i > 0 && head[i - 1] == '\r');
  }
  for (const std::string_view name : {"connection", "keep-alive", "transfer-encoding", "te",
                                      "upgrade", "trailer", "ratelimit", "x-ratelimit-limit"}) {
    check(!has_field(head, name));
  }

  // Beast reads the same head the same way.
  bhttp::response_parser<bhttp::empty_body> beast;
  beast.header_limit(UpstreamHeadParser::kMaxHeadBytes);
  beast.skip(head_request);
  boost::beast::error_code ec;
  const std::string_view bytes = input.substr(0, whole.head_bytes());
  beast.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  // Where Beast refuses what weir takes (a Connection value that is no token list, say), the
  // framing is not in question.
  if (ec && ec != bhttp::error::need_more) return 0;
  check(beast.is_header_done());
  check(beast.get().result_int() == static_cast<unsigned>(whole.status()));
  using Framing = UpstreamHeadParser::Framing;
  switch (whole.framing()) {
    case Framing::kChunked:
      check(beast.chunked());
      break;
    case Framing::kLength:
      check(beast.content_length() && *beast.content_length() == whole.content_length());
      break;
    case Framing::kUntilClose:
      check(!beast.chunked() && !beast.content_length());
      break;
    case Framing::kNoBody:
      break;
  }
  return 0;
}
