// weir::http::UpstreamResponseParser: reads one response head from the upstream with Beast's
// parser and writes, as it parses, the head weir sends the client: the status line in the
// client's HTTP version and every field fit to forward. Hop-by-hop fields, those a Connection
// field names, and (when weir writes its own) the upstream's rate-limit fields are left out. A
// chunked body can then be handed to a fixed window, so a response of any size is relayed
// through bounded memory.
//
//   std::string head;
//   UpstreamResponseParser parser(head, client_version, /*drop_rate_limit_fields=*/true);
//   parser.skip(request_was_head);                 // a HEAD response has no body
//   parser.put(buffered_bytes, ec);                // until is_header_done()
//   head += framing_fields + "\r\n";               // the caller ends the head
//   parser.stream_body_to(&window);
//   co_await http::async_read_some(upstream, buffer, parser, ...);
//
// Content-Length is kept as the upstream sent it: Beast refuses a response whose lengths
// disagree or that also has Transfer-Encoding, so it is the length weir relays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "http/proxy_buffer.hpp"

namespace weir::http {

class UpstreamResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  // The largest response head (status line and fields) weir accepts from an upstream; a larger
  // one is a protocol error (502), as with nginx's proxy_buffer_size.
  static constexpr std::uint32_t kMaxHeadBytes = 32 * 1024;

  // `head` (cleared here) receives the head for the client, without its final empty line; it
  // must outlive the parser. `client_version` is 10 or 11. The body is unlimited in size and
  // dropped until stream_body_to() names a window.
  UpstreamResponseParser(std::string& head, int client_version, bool drop_rate_limit_fields);

  int status() const { return status_; }

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
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(std::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, std::string_view, boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  std::string& head_;
  ProxyBuffer* window_ = nullptr;
  int client_version_;
  bool drop_rate_limit_fields_;
  int status_ = 0;
  std::size_t fields_start_ = 0;    // where the fields begin in head_
  std::string connection_options_;  // Connection values naming other fields, comma-joined
};

}  // namespace weir::http
