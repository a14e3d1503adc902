// weir::http::ProxyBuffer: a fixed-size window that a parser fills with body bytes and the proxy
// drains to the other side, so a body of any size passes through a bounded amount of memory.
//
//   ProxyBuffer window(64 * 1024);
//   parser.stream_body_to(&window);      // the parser stops with need_buffer when it is full
//   co_await async_read(stream, buffer, parser, ...);
//   co_await async_write(upstream, asio::buffer(window.data()), ...);
//   window.clear();
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/beast/core/error.hpp>

namespace weir::http {

// Not thread-safe; one per exchange.
class ProxyBuffer {
 public:
  explicit ProxyBuffer(std::size_t capacity)
      : bytes_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

  // For a parser's body callback: copies what fits of `body` and returns the count; when the
  // window is already full, copies nothing and sets `ec` to http::error::need_buffer, which
  // ends the read so the caller can drain the window.
  std::size_t fill(std::string_view body, boost::beast::error_code& ec);

  std::string_view data() const { return {bytes_.get(), size_}; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

}  // namespace weir::http
