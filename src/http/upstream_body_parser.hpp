// weir::http::UpstreamBodyParser: reads a chunked or unframed response body from the upstream
// into a fixed window, so a body of any size is relayed through bounded memory.
//
//   UpstreamBodyParser body(/*chunked=*/true);     // after UpstreamHeadParser read the head
//   body.stream_body_to(&window);
//   co_await http::async_read_some(upstream, buffer, body, ...);   // until body.is_done()
//
// UpstreamHeadParser reads the head; Beast's parser, which decodes chunks (sizes, extensions,
// trailers, limits), is then started on a head of its own that carries only the framing, so
// the two agree on where the body ends. A Content-Length body needs no parser: the proxy
// counts its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "http/proxy_buffer.hpp"

namespace weir::http {

class UpstreamBodyParser final : public boost::beast::http::basic_parser<false> {
 public:
  // `chunked`: the body is chunked; otherwise it ends when the upstream closes. The body is
  // unlimited in size and dropped until stream_body_to() names a window.
  explicit UpstreamBodyParser(bool chunked);

  // Sends body bytes read from now on into `window` (not owned). A read ends with
  // http::error::need_buffer when the window is full: drain it, then read again.
  void stream_body_to(ProxyBuffer* window) { window_ = window; }

 private:
  void on_request_impl(boost::beast::http::verb, std::string_view, std::string_view, int,
                       boost::beast::error_code&) override {}
  void on_response_impl(int, std::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field, std::string_view, std::string_view,
                     boost::beast::error_code&) override {}
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(std::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, std::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  ProxyBuffer* window_ = nullptr;
};

}  // namespace weir::http
