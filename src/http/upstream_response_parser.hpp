// weir::http::UpstreamResponseParser: reads one response from the upstream with Beast's parser,
// keeping the status line and every header field (in a ProxyHeaders arena) and handing the body
// to a fixed window, so a response of any size is relayed through bounded memory.
//
//   ProxyHeaders fields;
//   UpstreamResponseParser parser(fields);
//   parser.skip(request_was_head);                 // a HEAD response has no body
//   co_await http::async_read_header(upstream, buffer, parser, ...);
//   parser.stream_body_to(&window);
//   co_await http::async_read_some(upstream, buffer, parser, ...);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "http/proxy_buffer.hpp"
#include "http/proxy_headers.hpp"

namespace weir::http {

class UpstreamResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  // The largest response head (status line and fields) weir accepts from an upstream; a larger
  // one is a protocol error (502), as with nginx's proxy_buffer_size.
  static constexpr std::uint32_t kMaxHeadBytes = 32 * 1024;

  // `fields` (cleared here) receives every field; it must outlive the parser. The body is
  // unlimited in size and dropped until stream_body_to() names a window.
  explicit UpstreamResponseParser(ProxyHeaders& fields);

  int status() const { return status_; }
  std::string_view reason() const { return reason_; }
  int version() const { return version_; }

  // Sends body bytes read from now on into `window` (not owned). A read ends with
  // http::error::need_buffer when the window is full: drain it, then read again.
  void stream_body_to(ProxyBuffer* window) { window_ = window; }

 private:
  void on_request_impl(boost::beast::http::verb, std::string_view, std::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int code, std::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, std::string_view name_string,
                     std::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(std::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, std::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  ProxyHeaders& fields_;
  ProxyBuffer* window_ = nullptr;
  int status_ = 0;
  int version_ = 11;
  std::string reason_;
};

}  // namespace weir::http
