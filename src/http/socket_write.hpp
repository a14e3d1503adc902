// weir::http::write_now and write_rest: a write that does not wait when the socket takes the
// bytes at once, which is nearly always for a response head and a small body. A coroutine is
// entered (and its frame allocated) only for what the socket left over:
//
//   std::size_t sent = write_now(socket, buffers, ec);
//   if (!ec && sent < asio::buffer_size(buffers))
//     ec = co_await write_rest(socket, deadline, timeout, buffers, sent);
//
// The socket must be in non-blocking mode, so that write_now never blocks the thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>

#include "http/deadline.hpp"

namespace weir::http {

// Writes what the socket takes now. Returns the bytes written; `ec` is set only for a real
// error, not for a socket that would block.
template <typename Buffers>
std::size_t write_now(boost::asio::ip::tcp::socket& socket, const Buffers& buffers,
                      boost::beast::error_code& ec) {
  if (boost::asio::buffer_size(buffers) == 0) return 0;
  const std::size_t sent = socket.write_some(buffers, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    ec = {};
    return 0;
  }
  return ec ? 0 : sent;
}

// Writes the rest of `buffers` after the first `sent` bytes, waiting for the socket under
// `deadline`, `timeout` from now. The error is beast::error::timeout when the deadline passed.
template <typename Buffers>
boost::asio::awaitable<boost::beast::error_code> write_rest(boost::asio::ip::tcp::socket& socket,
                                                            Deadline& deadline,
                                                            std::chrono::milliseconds timeout,
                                                            const Buffers& buffers,
                                                            std::size_t sent) {
  boost::beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(sent);
  boost::beast::error_code ec;
  deadline.expires_after(timeout);
  co_await boost::asio::async_write(socket, rest,
                                    boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  if (ec && deadline.expired()) ec = boost::beast::error::timeout;
  deadline.expires_never();
  co_return ec;
}

}  // namespace weir::http
