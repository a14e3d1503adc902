// weir::http::RequestParser: reads one HTTP/1.1 request head (and body) with Beast's parser,
// keeping only what weir needs, in buffers owned by the connection and reused across requests.
//
// A full header map is never built: the limiter needs the method, target, one forwarding
// header and the framing, and the demo API needs the body. Limits are enforced while parsing,
// so an oversized request costs no more than its limit. In proxy mode the parser also keeps
// every field (in one arena, RequestHead::fields) and hands the body to a fixed window instead
// of collecting it (stream_body_to).
//
// Requests that front ends and back ends could read differently (request smuggling) are
// refused as malformed: Beast refuses Content-Length with Transfer-Encoding, differing
// Content-Lengths, and bare CR or LF; this parser adds obsolete line folding, which Beast would
// accept and join, and a second Host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/proxy_buffer.hpp"
#include "http/proxy_headers.hpp"

namespace weir::http {

// Why a request could not be read; each maps to one status code.
enum class RequestError : std::uint8_t {
  kNone,
  kMalformed,           // 400
  kUriTooLong,          // 414
  kHeaderTooLarge,      // 431: head bytes or header count over the limit
  kBodyTooLarge,        // 413
  kUnsupportedFraming,  // 501: a transfer coding other than chunked
};

struct RequestLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_headers = 100;
  std::size_t max_uri_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 1024 * 1024;
};

// The parts of a request weir keeps. Owned by a connection; clear() keeps capacity so steady
// traffic allocates nothing.
struct RequestHead {
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string method_text;
  std::string target;
  std::string forwarded;  // all lines of the configured forwarding header, joined by ", "
  std::string body;       // demo mode only: proxy mode streams the body instead
  ProxyHeaders fields;    // proxy mode only: every field, as received
  int version = 11;
  bool expect_continue = false;
  bool has_line = false;  // the request line was parsed

  void clear();
};

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `forwarded_header` (lowercase) names the header whose lines are collected into
  // head.forwarded. With `keep_fields` (proxy mode), every field is kept in head.fields and the
  // body is never collected into head.body: it is streamed (stream_body_to) or dropped.
  RequestParser(RequestHead& head, const RequestLimits& limits, std::string_view forwarded_header,
                bool keep_fields = false);

  // Classifies a parse failure. `ec` is what the read returned.
  RequestError classify(const boost::beast::error_code& ec) const;

  // Sends body bytes read from now on into `window` (not owned; nullptr stops it). A read
  // ends with http::error::need_buffer when the window is full: drain it, then read again.
  void stream_body_to(ProxyBuffer* window) { window_ = window; }

 private:
  void on_request_impl(boost::beast::http::verb method, std::string_view method_str,
                       std::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, std::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, std::string_view name_string,
                     std::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(std::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, std::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  RequestHead& head_;
  const RequestLimits& limits_;
  std::string_view forwarded_header_;
  ProxyBuffer* window_ = nullptr;
  bool keep_fields_;
  bool seen_host_ = false;
  std::size_t fields_ = 0;
  RequestError error_ = RequestError::kNone;
};

}  // namespace weir::http
