// weir::http::Connection: one client connection, served as a straight-line coroutine: read a
// request head under a deadline, decide, read the body if the request is admitted, answer,
// and repeat while the connection is kept alive.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "http/deadline.hpp"
#include "http/request_parser.hpp"
#include "http/worker.hpp"
#include "weir/ip_address.hpp"
#include "weir/limiter.hpp"

namespace weir::http {

struct Admission;

class Connection {
 public:
  // Registers with `worker` until destroyed. Runs only on the worker's thread.
  Connection(boost::asio::ip::tcp::socket socket, Worker& worker);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Serves requests until the peer leaves, a deadline passes, or the server drains.
  boost::asio::awaitable<void> run();

  // Closes the connection if it is between requests (used when draining).
  void close_if_idle();

 private:
  enum class Next { kKeepAlive, kClose };

  boost::asio::awaitable<Next> serve_one();
  boost::asio::awaitable<Next> forward(RequestParser& parser, const Admission& admission,
                                       std::string_view route, bool keep_alive,
                                       std::chrono::steady_clock::time_point started);
  boost::asio::awaitable<Next> answer_read_error(RequestParser& parser,
                                                 const boost::beast::error_code& ec);
  boost::asio::awaitable<bool> read_body(RequestParser& parser);
  boost::asio::awaitable<bool> discard_body(RequestParser& parser);
  bool parse_buffered(RequestParser& parser, boost::beast::error_code& ec);
  boost::asio::awaitable<void> read_head(RequestParser& parser, boost::beast::error_code& ec);
  // Sending out_: send_now() writes what the socket takes without waiting, which is usually all
  // of it; send_rest() waits for the socket to take the rest; send() does both.
  std::size_t send_now(boost::beast::error_code& ec);
  boost::asio::awaitable<bool> send_rest(std::size_t sent);
  boost::asio::awaitable<bool> send();
  boost::asio::awaitable<void> close_gracefully();

  void write_error(int status, std::string_view message, bool keep_alive);

  boost::asio::ip::tcp::socket socket_;
  Deadline deadline_;  // of the socket's current operation
  Worker& worker_;
  std::shared_ptr<const Runtime> runtime_;
  IpAddress peer_;
  std::string peer_text_;  // peer_ as text, for the proxy's forwarding fields; made on first use
  boost::beast::flat_buffer buffer_;
  RequestHead head_;
  std::string path_;  // the normalised path of the current request
  std::string out_;
  std::uint32_t served_ = 0;
  bool idle_ = true;
  bool linger_ = false;  // unread request bytes may remain when closing
};

}  // namespace weir::http
