// weir::http::UpstreamPool: one server thread's idle keep-alive connections to the upstream, so
// that proxied requests reuse TCP connections instead of opening one each.
//
//   auto connection = pool.take(key);               // nullptr: open a new one
//   ... forward one request on it ...
//   pool.give(key, std::move(connection), 64);      // when the exchange left it reusable
//
// The pool is bounded: past max_idle, the least recently used connection is closed. It is LIFO,
// so the connection handed out is the one idle for the shortest time, the least likely to have
// been closed by the upstream's own idle timeout.
//
// Known shortcoming: idle connections have no timer of their own. One the upstream closed stays
// open on weir's side (CLOSE_WAIT) until take() finds and closes it or give() pushes it out, so
// at most max_idle such sockets per thread linger on a quiet server.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "http/deadline.hpp"

namespace weir::http {

// One TCP connection to the upstream, the bytes read from it but not yet parsed, and the
// heads of the exchange it carries (kept to reuse their capacity).
struct UpstreamConnection {
  // `horizon`: the shortest deadline span set on it (see Deadline).
  UpstreamConnection(boost::asio::any_io_executor executor, Deadline::Clock::duration horizon)
      : socket(executor), deadline(socket, horizon) {}

  boost::asio::ip::tcp::socket socket;
  Deadline deadline;
  boost::beast::flat_buffer buffer;
  std::string request_head;   // sent upstream
  std::string response_head;  // sent to the client
};

// Touched only from its worker's thread; not thread-safe.
class UpstreamPool {
 public:
  // An idle connection to the upstream `key` names ("host:port"), or nullptr when there is
  // none. Connections the upstream has closed (or that hold unexpected bytes) while idle are
  // closed and skipped.
  std::unique_ptr<UpstreamConnection> take(std::string_view key);

  // Keeps `connection`, which just completed an exchange and has nothing buffered, for reuse.
  // With max_idle 0 it is closed at once. A different `key` than before (the upstream changed
  // on reload) first closes every connection to the old one.
  void give(std::string_view key, std::unique_ptr<UpstreamConnection> connection,
            std::size_t max_idle);

  std::size_t idle() const { return idle_.size(); }

 private:
  std::string key_;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;  // most recently used at the back
};

}  // namespace weir::http
