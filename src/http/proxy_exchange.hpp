// weir::http::ProxyExchange: forwards one admitted request to the upstream and relays the
// response, streaming both bodies through one fixed window.
//
//   ProxyExchange exchange(*runtime.proxy, runtime.timeouts, worker.upstream_pool, metrics);
//   ProxyResult result = co_await exchange.run(request);
//   if (result.client_error) ... the client's body could not be read; nothing was answered
//
// The steps are straight-line: take an idle upstream connection or open one (under the connect
// deadline), send the head, stream the body, read the response head (under the response
// deadline), write the head to the client, stream the body. Writes are tried without waiting
// first, and each side's deadline is a Deadline moved per step, not a timer armed per
// operation: on a small exchange, the reads are the only asynchronous operations. Hop-by-hop fields
// go neither way; X-Forwarded-For, X-Forwarded-Proto and Forwarded describe the client to the
// upstream; the rate-limit headers are added to the response. Failures before anything reached the
// client are answered 502 (cannot connect, upstream closed or spoke bad HTTP) or 504 (upstream too
// slow) and counted in weir_upstream_errors_total{kind}; after that, the client connection is
// closed, so the client sees a truncated response rather than a wrong one.
//
// Known shortcomings:
// - The request body is sent whole before the response is read. An upstream that answers early
//   (a 413 mid-upload) and closes makes the rest of the upload fail: the client gets 502, not
//   the upstream's answer. Relaying it would need the response read concurrently with the body.
// - Trailers of chunked bodies are dropped in both directions.
// - A body streamed through the window (a request body, a chunked response) allocates it per
//   exchange (64 KiB from the heap); a per-worker free list would spare that on busy threads.
//   A response with a Content-Length, the common case, is relayed straight from the upstream
//   connection's buffer and needs no window.
// - An exchange makes about 7 system calls where a byte-copying proxy makes 4: the pool's
//   MSG_PEEK check of an idle connection, and reads that find nothing yet, because Asio 1.74
//   tries every async_read_some at once (upstream, right after the request went; client, right
//   after the response went). Waiting for readability first trades each of those for an
//   epoll_ctl in this Asio version; docs/performance.md has the counts.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "http/deadline.hpp"
#include "http/proxy_buffer.hpp"
#include "http/request_metrics.hpp"
#include "http/request_parser.hpp"
#include "http/runtime.hpp"
#include "http/upstream_options.hpp"
#include "http/upstream_pool.hpp"
#include "weir/ip_address.hpp"

namespace weir::http {

// The client side of one request, as the connection holds it.
struct ProxyRequest {
  boost::asio::ip::tcp::socket& client;
  Deadline& client_deadline;  // the client socket's; never pending when the exchange starts
  boost::beast::flat_buffer& client_buffer;  // read from the client, not yet parsed
  RequestParser& parser;                     // the head is parsed; the body, if any, is not
  const RequestHead& head;                   // parsed with keep_fields
  const IpAddress& peer;                     // the TCP peer, appended to X-Forwarded-For
  std::string_view peer_text;                // `peer` as text
  std::string_view rate_headers;  // header lines, each ending in CRLF, added to the answer
  bool keep_alive;                // weir means to keep the client connection open
  const std::atomic<bool>& draining;
};

struct ProxyResult {
  int status = 0;           // the status the client was sent; 0 when nothing was sent
  bool complete = false;    // the whole response reached the client
  bool keep_alive = false;  // the client connection may serve another request
  bool linger = false;      // request bytes may remain unread: drain before closing
  // Set when the request body could not be read (too large, malformed, too slow) before any
  // answer was sent: the caller answers it as for any unreadable request.
  boost::beast::error_code client_error;
};

// One per request; lives on its connection's coroutine. Touches only its worker's state.
class ProxyExchange {
 public:
  // The body window, per exchange: request and response bodies pass through it in turn.
  static constexpr std::size_t kWindowBytes = 64 * 1024;

  ProxyExchange(const UpstreamOptions& options, const Timeouts& client_timeouts, UpstreamPool& pool,
                RequestMetrics& metrics);

  // Never throws but for allocation failure.
  boost::asio::awaitable<ProxyResult> run(const ProxyRequest& request);

 private:
  enum class Failure : std::uint8_t { kNone, kConnect, kTimeout, kClosed, kProtocol, kClient };

  boost::asio::awaitable<std::unique_ptr<UpstreamConnection>> connect(Failure& failure);
  // Finishes sending the request after run() wrote what the socket took at once (`sent` bytes
  // of the head, `ec` from that write): the rest of the head, then the body.
  boost::asio::awaitable<Failure> send_request(const ProxyRequest& r, UpstreamConnection& up,
                                               std::size_t sent, boost::beast::error_code ec,
                                               bool& body_started, ProxyResult& result);
  boost::asio::awaitable<Failure> relay_response(const ProxyRequest& r, UpstreamConnection& up,
                                                 ProxyResult& result);
  boost::asio::awaitable<void> answer_failure(const ProxyRequest& r, Failure failure,
                                              ProxyResult& result);

  void build_request_head(const ProxyRequest& r, std::string& out) const;
  Failure count(Failure failure);

  // The body window, allocated on first use.
  ProxyBuffer& window();

  const UpstreamOptions& options_;
  const Timeouts& client_timeouts_;
  UpstreamPool& pool_;
  RequestMetrics& metrics_;
  std::unique_ptr<ProxyBuffer> window_;
};

}  // namespace weir::http
