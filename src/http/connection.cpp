#include "http/connection.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include "http/admission.hpp"
#include "http/body_pace.hpp"
#include "http/demo_api.hpp"
#include "http/proxy_exchange.hpp"
#include "http/response.hpp"
#include "http/socket_write.hpp"
#include "weir/path.hpp"

namespace weir::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::use_awaitable;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Rejected requests with a body are drained (to keep the connection) only when the body is
// small; past this, closing costs the client less than weir reading what it will throw away.
constexpr std::uint64_t kMaxDiscardBytes = 64 * 1024;

// Bytes asked of the socket per read of a request head.
constexpr std::size_t kReadChunk = 16 * 1024;

// How long, and how much, a closing connection drains what the client still sends.
constexpr std::chrono::seconds kLinger{2};
constexpr std::size_t kMaxLingerBytes = 256 * 1024;

// The shortest span a connection's deadline is set to, so its timer need not be re-armed
// when a deadline follows another (see Deadline).
std::chrono::milliseconds shortest_timeout(const Timeouts& t) {
  return std::min({t.header, t.body, t.idle, t.body_grace});
}

IpAddress to_ip_address(const asio::ip::address& address) {
  if (address.is_v4()) return IpAddress::from_v4(address.to_v4().to_uint());
  return IpAddress(address.to_v6().to_bytes());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Worker& worker)
    : socket_(std::move(socket)),
      deadline_(socket_, shortest_timeout(worker.runtime->timeouts)),
      worker_(worker),
      runtime_(worker.runtime) {
  beast::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) peer_ = to_ip_address(endpoint.address());
  buffer_.max_size(runtime_->request_limits.max_header_bytes + 64 * 1024);
  // send() writes synchronously first and must never block the thread.
  socket_.non_blocking(true, ec);

  worker_.connections.insert(this);
  worker_.shared.metrics.connection_opened();
  worker_.shared.open_connections.fetch_add(1, std::memory_order_relaxed);
}

Connection::~Connection() {
  worker_.connections.erase(this);
  worker_.shared.metrics.connection_closed();
  worker_.shared.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::close_if_idle() {
  if (!idle_) return;
  beast::error_code ec;
  socket_.close(ec);
}

asio::awaitable<void> Connection::run() {
  try {
    beast::error_code ec;
    while (!worker_.shared.draining.load(std::memory_order_relaxed)) {
      // Waits, under the idle deadline, until the next request's first bytes are buffered.
      // Written here rather than as a coroutine of its own, which would cost a heap-allocated
      // frame per request.
      if (buffer_.size() == 0) {
        idle_ = true;
        deadline_.expires_after(runtime_->timeouts.idle);
        const std::size_t n = co_await socket_.async_read_some(
            buffer_.prepare(4096), asio::redirect_error(use_awaitable, ec));
        idle_ = false;
        if (ec) break;  // closed by the peer, idle too long, or drained
        buffer_.commit(n);
      }
      // A reload swaps the worker's runtime; a connection picks it up when its next request
      // arrives, so one that idled through the reload is served under the new one.
      if (runtime_ != worker_.runtime) runtime_ = worker_.runtime;
      if (co_await serve_one() == Next::kClose) break;
    }
  } catch (const std::exception& e) {
    // Nothing on this path throws by design; allocation failure is the one thing left.
    SPDLOG_ERROR("connection failed: {}", e.what());
  }
  co_await close_gracefully();
}

// Closing a socket that still holds unread request bytes makes the kernel send a reset, which
// can destroy the response before the client reads it. So when weir answers without reading
// everything (an error, a rejected upload) it half-closes and drains for a moment first.
asio::awaitable<void> Connection::close_gracefully() {
  beast::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (linger_ && !ec) {
    deadline_.expires_after(kLinger);
    std::size_t drained = 0;
    while (drained < kMaxLingerBytes) {
      buffer_.clear();
      std::size_t n = co_await socket_.async_read_some(buffer_.prepare(4096),
                                                       asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      drained += n;
    }
  }
  deadline_.expires_never();
  socket_.close(ec);
}

asio::awaitable<Connection::Next> Connection::serve_one() {
  const Runtime& rt = *runtime_;
  RequestMetrics& metrics = worker_.shared.metrics;
  const auto started = SteadyClock::now();

  head_.clear();
  RequestParser parser(head_, rt.request_limits, rt.forwarded_header, rt.proxy.has_value());
  beast::error_code ec;
  deadline_.expires_after(rt.timeouts.header);
  // Usually the head came whole with the bytes run() waited for: no coroutine then.
  if (!parse_buffered(parser, ec)) co_await read_head(parser, ec);
  if (ec) co_return co_await answer_read_error(parser, ec);
  // Nothing is read or written while the request is decided and handled; each later step
  // sets its own deadline.
  deadline_.expires_never();

  if (!normalize_path(head_.target, path_)) {
    write_error(400, "bad request target", false);
    linger_ = true;
    metrics.count_request(worker_.request_counters, head_.method_text, DemoApi::kOtherRoute, 400);
    co_await send();
    co_return Next::kClose;
  }

  // The decision: shedding, lists, bans, then the rule's limit in the store (admission.hpp).
  const auto decide_start = SteadyClock::now();
  InFlight in_flight(worker_.shared, rt.concurrency.max_in_flight);
  Admission admission;
  Classification classification;
  if (!admit_now(worker_, rt, peer_, head_.forwarded, path_, in_flight, admission,
                 classification)) {
    co_await admit_rest(worker_, rt, admission, classification);
  }
  const Verdict& verdict = admission.verdict;
  metrics.observe_decision(SteadyClock::now() - decide_start);

  // Proxy mode labels requests by rule, as its paths are the upstream's and unbounded.
  std::string_view route = rt.proxy ? std::string_view(rt.limiter.rules().rule(verdict.rule).name)
                                    : DemoApi::route_label(path_);
  bool keep_alive = parser.keep_alive() && ++served_ < rt.max_requests_per_connection &&
                    !worker_.shared.draining.load(std::memory_order_relaxed);
  int status = 0;

  if (admission.admitted()) {
    if (rt.proxy) {
      co_return co_await forward(parser, admission, route, keep_alive, started);
    }
    if (!co_await read_body(parser)) co_return Next::kClose;
    keep_alive = keep_alive && !worker_.shared.draining.load(std::memory_order_relaxed);
    DemoReply reply = DemoApi::handle(head_.method, path_, head_.target, head_.body);
    status = reply.status;
    Response response(out_);
    response.start(status, keep_alive, head_.version);
    if (!reply.allow.empty()) response.header("Allow", reply.allow);
    if (admission.rate_headers()) write_rate_headers(response, rt, verdict);
    response.json_body(reply.body, head_.method == bhttp::verb::head);
  } else {
    // Rejected before its body was read: drain a small body to keep the connection.
    if (!parser.is_done() && !co_await discard_body(parser)) {
      keep_alive = false;
      linger_ = true;
    }
    Response response(out_);
    status = write_refusal(response, admission, rt, keep_alive, head_.version);
  }

  metrics.count_request(worker_.request_counters, head_.method_text, route, status);
  // Observed before the write so that a client holding the response sees it counted.
  metrics.observe_request(SteadyClock::now() - started);
  // The common case, a response the socket takes whole, needs no coroutine of its own.
  beast::error_code write_ec;
  const std::size_t sent = send_now(write_ec);
  if (write_ec || (sent < out_.size() && !co_await send_rest(sent))) co_return Next::kClose;
  co_return keep_alive ? Next::kKeepAlive : Next::kClose;
}

// Proxy mode's handler: the upstream answers, through a ProxyExchange that streams both ways.
asio::awaitable<Connection::Next> Connection::forward(RequestParser& parser,
                                                      const Admission& admission,
                                                      std::string_view route, bool keep_alive,
                                                      SteadyClock::time_point started) {
  const Runtime& rt = *runtime_;
  RequestMetrics& metrics = worker_.shared.metrics;

  // out_ holds only the rate-limit header lines, for the exchange to add to its answer.
  Response rate_headers(out_);
  if (admission.rate_headers()) write_rate_headers(rate_headers, rt, admission.verdict);

  if (peer_text_.empty()) peer_text_ = peer_.to_string();
  ProxyExchange exchange(*rt.proxy, rt.timeouts, worker_.upstream_pool, metrics);
  const ProxyResult result = co_await exchange.run(ProxyRequest{
      .client = socket_,
      .client_deadline = deadline_,
      .client_buffer = buffer_,
      .parser = parser,
      .head = head_,
      .peer = peer_,
      .peer_text = peer_text_,
      .rate_headers = out_,
      .keep_alive = keep_alive,
      .draining = worker_.shared.draining,
  });
  if (result.client_error) co_return co_await answer_read_error(parser, result.client_error);

  linger_ = linger_ || result.linger;
  if (result.status != 0)
    metrics.count_request(worker_.request_counters, head_.method_text, route, result.status);
  if (!result.complete) co_return Next::kClose;
  metrics.observe_request(SteadyClock::now() - started);
  co_return result.keep_alive ? Next::kKeepAlive : Next::kClose;
}

asio::awaitable<Connection::Next> Connection::answer_read_error(RequestParser& parser,
                                                                const beast::error_code& ec) {
  // Expected endings first: the peer left, or a deadline passed; nothing to answer.
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
    co_return Next::kClose;
  }

  int status = 400;
  std::string_view message = "malformed request";
  switch (parser.classify(ec)) {
    case RequestError::kUriTooLong:
      status = 414;
      message = "uri too long";
      break;
    case RequestError::kHeaderTooLarge:
      status = 431;
      message = "request header too large";
      break;
    case RequestError::kBodyTooLarge:
      status = 413;
      message = "request body too large";
      break;
    case RequestError::kUnsupportedFraming:
      status = 501;
      message = "unsupported transfer coding";
      break;
    case RequestError::kMalformed:
    case RequestError::kNone:
      break;
  }
  write_error(status, message, false);
  linger_ = true;
  worker_.shared.metrics.count_request(worker_.request_counters, head_.method_text,
                                       DemoApi::kOtherRoute, status);
  co_await send();
  co_return Next::kClose;
}

void Connection::write_error(int status, std::string_view message, bool keep_alive) {
  Response response(out_);
  response.start(status, keep_alive, head_.has_line ? head_.version : 11);
  std::string body = R"({"error":")";
  body.append(message);  // fixed text from weir, never from the client
  body.append(R"("})");
  response.json_body(body);
}

asio::awaitable<bool> Connection::read_body(RequestParser& parser) {
  if (parser.is_done()) co_return true;

  // A client that sent "Expect: 100-continue" waits for leave to send the body.
  if (head_.expect_continue) {
    beast::error_code ec;
    deadline_.expires_after(runtime_->timeouts.body);
    co_await asio::async_write(socket_, asio::buffer(Response::kContinue),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
  }

  // The whole body within timeouts.body, and after the grace at least body_min_rate bytes a
  // second: a client trickling a large body cannot hold the connection for the full deadline.
  // A deadline that passes closes the connection (the stream closes the socket on expiry).
  const BodyPace pace(runtime_->timeouts, SteadyClock::now());
  std::uint64_t received = 0;
  while (!parser.is_done()) {
    beast::error_code ec;
    deadline_.expires_at(pace.deadline(received));
    received += co_await bhttp::async_read_some(socket_, buffer_, parser,
                                                asio::redirect_error(use_awaitable, ec));
    if (ec && deadline_.expired()) ec = beast::error::timeout;
    if (ec) {
      co_await answer_read_error(parser, ec);
      co_return false;
    }
  }
  deadline_.expires_never();
  co_return true;
}
asio::awaitable<bool> Connection::discard_body(RequestParser& parser) {
  // A client waiting on 100-continue will not send; nothing to drain, the connection is fine.
  if (head_.expect_continue) co_return false;
  auto length = parser.content_length();
  if (!length || *length > kMaxDiscardBytes) co_return false;

  beast::error_code ec;
  deadline_.expires_after(runtime_->timeouts.body);
  co_await bhttp::async_read(socket_, buffer_, parser, asio::redirect_error(use_awaitable, ec));
  deadline_.expires_never();
  co_return !ec;
}

// Parses the buffered bytes. True when that settled the head: parsed whole, or `ec` set.
bool Connection::parse_buffered(RequestParser& parser, beast::error_code& ec) {
  if (buffer_.size() == 0) return false;
  buffer_.consume(parser.put(buffer_.data(), ec));
  if (ec == bhttp::error::need_more) {
    ec = {};
    return false;
  }
  return ec || parser.is_header_done();
}

// Reads until the head is parsed whole, parsing as the bytes come (Beast's async_read_header
// would post its completion even when the bytes are already there).
asio::awaitable<void> Connection::read_head(RequestParser& parser, beast::error_code& ec) {
  for (;;) {
    const std::size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) {
      ec = bhttp::error::header_limit;
      co_return;
    }
    std::size_t n =
        co_await socket_.async_read_some(buffer_.prepare(std::min<std::size_t>(room, kReadChunk)),
                                         asio::redirect_error(use_awaitable, ec));
    if (ec && deadline_.expired()) ec = beast::error::timeout;
    if (ec == asio::error::eof) {
      ec = parser.got_some() ? bhttp::error::partial_message : bhttp::error::end_of_stream;
    }
    if (ec) co_return;
    buffer_.commit(n);
    if (parse_buffered(parser, ec)) co_return;
  }
}

// Most responses fit the socket's send buffer: one non-blocking send finishes them without an
// asynchronous operation. Only what is left waits for the socket, under the idle deadline.
std::size_t Connection::send_now(beast::error_code& ec) {
  return write_now(socket_, asio::buffer(out_), ec);
}

asio::awaitable<bool> Connection::send_rest(std::size_t sent) {
  co_return !co_await write_rest(socket_, deadline_, runtime_->timeouts.idle, asio::buffer(out_),
                                 sent);
}

asio::awaitable<bool> Connection::send() {
  beast::error_code ec;
  const std::size_t sent = send_now(ec);
  if (ec) co_return false;
  co_return sent == out_.size() || co_await send_rest(sent);
}

}  // namespace weir::http
