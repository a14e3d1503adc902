#include "http/proxy_exchange.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "http/header_line.hpp"
#include "http/hop_by_hop.hpp"
#include "http/response.hpp"
#include "http/socket_write.hpp"
#include "http/upstream_body_parser.hpp"
#include "http/upstream_head_parser.hpp"
#include "metrics/server_metrics.hpp"

namespace weir::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// What the upstream side may buffer: a response head (at most
// UpstreamHeadParser::kMaxHeadBytes) and body bytes read ahead of the client.
constexpr std::size_t kUpstreamBufferBytes = 64 * 1024;

constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kCrlf = "\r\n";

void append_number(std::string& out, std::uint64_t value, int base = 10) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value, base);
  out.append(digits, end);
}

// An upstream read or write failed: a deadline passed, the upstream spoke bad HTTP, or the
// connection ended early.
bool is_http_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

}  // namespace

ProxyExchange::ProxyExchange(const UpstreamOptions& options, const Timeouts& client_timeouts,
                             UpstreamPool& pool, RequestMetrics& metrics)
    : options_(options), client_timeouts_(client_timeouts), pool_(pool), metrics_(metrics) {}

ProxyBuffer& ProxyExchange::window() {
  if (!window_) window_ = std::make_unique<ProxyBuffer>(kWindowBytes);
  return *window_;
}

ProxyExchange::Failure ProxyExchange::count(Failure failure) {
  switch (failure) {
    case Failure::kConnect:
      metrics_.count_upstream_error(metrics::upstream_error::kConnect);
      break;
    case Failure::kTimeout:
      metrics_.count_upstream_error(metrics::upstream_error::kTimeout);
      break;
    case Failure::kClosed:
      metrics_.count_upstream_error(metrics::upstream_error::kClosed);
      break;
    case Failure::kProtocol:
      metrics_.count_upstream_error(metrics::upstream_error::kProtocol);
      break;
    case Failure::kNone:
    case Failure::kClient:
      break;
  }
  return failure;
}

asio::awaitable<ProxyResult> ProxyExchange::run(const ProxyRequest& r) {
  ProxyResult result;

  // A pooled connection may have been closed by the upstream a moment ago, which shows only
  // when its answer never comes. Such a request is sent again, once, on a new connection, but
  // only while none of the client's body has been consumed: a body cannot be replayed.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<UpstreamConnection> up = pool_.take(options_.pool_key);
    const bool reused = up != nullptr;
    Failure failure = Failure::kNone;
    if (!up) up = co_await connect(failure);
    if (!up) {
      count(failure);
      co_await answer_failure(r, failure, result);
      co_return result;
    }

    bool body_started = false;
    build_request_head(r, up->request_head);
    // A bodiless request whose head the socket takes at once, the common case, needs no
    // coroutine of its own.
    beast::error_code ec;
    const std::size_t sent = write_now(up->socket, asio::buffer(up->request_head), ec);
    if (ec || sent < up->request_head.size() || !r.parser.is_done()) {
      failure = co_await send_request(r, *up, sent, ec, body_started, result);
    }
    if (failure == Failure::kNone) failure = co_await relay_response(r, *up, result);
    if (failure == Failure::kNone) {
      // relay_response kept the connection only if it can carry another exchange.
      if (result.complete && up->socket.is_open()) {
        pool_.give(options_.pool_key, std::move(up), options_.max_idle);
      }
      co_return result;
    }

    if (failure == Failure::kClient) co_return result;
    if (failure == Failure::kClosed && reused && !body_started && result.status == 0 &&
        attempt == 0) {
      continue;
    }
    count(failure);
    if (result.status == 0) co_await answer_failure(r, failure, result);
    co_return result;
  }
}

asio::awaitable<std::unique_ptr<UpstreamConnection>> ProxyExchange::connect(Failure& failure) {
  auto executor = co_await asio::this_coro::executor;
  auto up = std::make_unique<UpstreamConnection>(
      executor, std::min(options_.connect_timeout, options_.response_timeout));
  up->buffer.max_size(kUpstreamBufferBytes);
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;

  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  if (options_.address) {
    endpoints.emplace_back(*options_.address, options_.port);
  } else {
    // A name is looked up on every new connection, so the upstream may move. The lookup has no
    // deadline of its own; a timer cancels it.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    asio::steady_timer timer(executor);
    timer.expires_at(deadline);
    timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](beast::error_code e) {
      if (e) return;
      if (auto alive = weak.lock()) alive->cancel();
    });
    auto results = co_await resolver->async_resolve(options_.host, std::to_string(options_.port),
                                                    asio::redirect_error(use_awaitable, ec));
    timer.cancel();
    for (const auto& entry : results)
      endpoints.push_back(entry.endpoint());
  }
  // Each address in turn until one answers, all under the one deadline.
  ec = asio::error::host_not_found;
  up->deadline.expires_at(deadline);
  for (const tcp::endpoint& endpoint : endpoints) {
    if (up->deadline.expired()) break;
    beast::error_code ignored;
    up->socket.close(ignored);
    co_await up->socket.async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
    if (!ec) break;
  }
  up->deadline.expires_never();
  if (ec) {
    // A refused, unreachable or silent upstream alike: nothing was sent, nothing can be said.
    failure = Failure::kConnect;
    co_return nullptr;
  }
  up->socket.set_option(tcp::no_delay(true), ec);
  // Writes are tried without waiting first (write_now); they must never block the thread.
  up->socket.non_blocking(true, ec);
  co_return up;
}

void ProxyExchange::build_request_head(const ProxyRequest& r, std::string& out) const {
  const RequestHead& head = r.head;
  const ProxyHeaders& fields = head.fields;
  out.clear();

  out.append(head.method_text);
  out.push_back(' ');
  out.append(options_.base_path);
  out.append(head.target);
  out.append(" HTTP/1.1\r\n");

  // One look at the fields for what shapes the rest: the Host, whether the client sent
  // forwarding chains, and whether a Connection field names other fields to drop.
  std::string_view host = options_.host_header;
  bool client_host = false, has_xff = false, has_forwarded = false;
  std::string connection_options;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    switch (fields.id(i)) {
      case bhttp::field::host:
        if (!client_host && host.empty()) host = fields.value(i);
        client_host = true;
        break;
      case bhttp::field::forwarded:
        has_forwarded = true;
        break;
      case bhttp::field::connection:
        if (names_other_fields(fields.value(i))) {
          connection_options.append(fields.value(i));
          connection_options.push_back(',');
        }
        break;
      default:
        break;
    }
  }
  // Host first, as clients send it: the override, else the client's, else the upstream's.
  if (host.empty()) host = options_.authority;
  append_header_line(out, "Host", host);

  for (std::size_t i = 0; i < fields.size(); ++i) {
    const bhttp::field id = fields.id(i);
    const std::string_view name = fields.name(i);
    // Written below, or handled by weir itself (framing, 100-continue).
    if (id == bhttp::field::host || id == bhttp::field::content_length ||
        id == bhttp::field::expect || id == bhttp::field::forwarded || is_hop_by_hop(id, name)) {
      continue;
    }
    if (id == bhttp::field::unknown) {
      if (beast::iequals(name, "x-forwarded-for")) {
        has_xff = true;
        continue;
      }
      if (beast::iequals(name, "x-forwarded-proto")) continue;
    }
    if (!connection_options.empty() && lists_token(connection_options, name)) continue;
    append_header_line(out, name, fields.value(i));
  }

  // The client's forwarding chains, each with this hop appended.
  const std::string_view peer = r.peer_text;
  out.append("X-Forwarded-For: ");
  for (std::size_t i = 0; has_xff && i < fields.size(); ++i) {
    if (fields.id(i) != bhttp::field::unknown || fields.value(i).empty() ||
        !beast::iequals(fields.name(i), "x-forwarded-for")) {
      continue;
    }
    out.append(fields.value(i));
    out.append(", ");
  }
  out.append(peer);
  out.append("\r\nX-Forwarded-Proto: http\r\nForwarded: ");
  for (std::size_t i = 0; has_forwarded && i < fields.size(); ++i) {
    if (fields.id(i) != bhttp::field::forwarded || fields.value(i).empty()) continue;
    out.append(fields.value(i));
    out.append(", ");
  }
  // RFC 7239: an IPv6 node is bracketed, and then quoted as ':' is not a token character.
  const bool v6 = !r.peer.is_v4();
  out.append(v6 ? "for=\"[" : "for=");
  out.append(peer);
  out.append(v6 ? "]\";proto=http\r\n" : ";proto=http\r\n");

  // Framing: the same length, or chunked again chunk by chunk.
  if (r.parser.chunked()) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (auto length = r.parser.content_length()) {
    out.append("Content-Length: ");
    append_number(out, *length);
    out.append(kCrlf);
  }
  out.append(kCrlf);
}

asio::awaitable<ProxyExchange::Failure> ProxyExchange::send_request(
    const ProxyRequest& r, UpstreamConnection& up, std::size_t sent, beast::error_code ec,
    bool& body_started, ProxyResult& result) {
  const auto head = asio::buffer(up.request_head);
  if (!ec && sent < head.size()) {
    ec = co_await write_rest(up.socket, up.deadline, options_.response_timeout, head, sent);
  }
  if (ec) co_return ec == beast::error::timeout ? Failure::kTimeout : Failure::kClosed;
  if (r.parser.is_done()) co_return Failure::kNone;

  // The upstream is there: invite a client waiting on 100-continue to send its body.
  body_started = true;
  if (r.head.expect_continue) {
    const auto interim = asio::buffer(Response::kContinue);
    sent = write_now(r.client, interim, ec);
    if (!ec && sent < interim.size()) {
      ec = co_await write_rest(r.client, r.client_deadline, client_timeouts_.body, interim, sent);
    }
    if (ec) {
      result.client_error = ec;
      co_return Failure::kClient;
    }
  }

  // One deadline for the whole body, as in demo mode, counted only while reading the client;
  // each write upstream has its own.
  const auto body_deadline = std::chrono::steady_clock::now() + client_timeouts_.body;
  const bool chunked = r.parser.chunked();
  ProxyBuffer& window = this->window();
  r.parser.eager(true);
  while (!r.parser.is_done()) {
    window.clear();
    r.parser.stream_body_to(&window);
    r.client_deadline.expires_at(body_deadline);
    co_await bhttp::async_read_some(r.client, r.client_buffer, r.parser,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec && r.client_deadline.expired()) ec = beast::error::timeout;
    r.client_deadline.expires_never();
    r.parser.stream_body_to(nullptr);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      result.client_error = ec;
      co_return Failure::kClient;
    }

    const std::string_view data = window.data();
    std::string size_line;
    if (chunked && !data.empty()) {
      append_number(size_line, data.size(), 16);
      size_line.append(kCrlf);
    }
    const bool last = chunked && r.parser.is_done();
    const std::array<asio::const_buffer, 4> buffers = {
        asio::buffer(size_line), asio::buffer(data),
        asio::buffer(chunked && !data.empty() ? kCrlf : std::string_view()),
        asio::buffer(last ? kLastChunk : std::string_view())};
    sent = write_now(up.socket, buffers, ec);
    if (!ec && sent < asio::buffer_size(buffers)) {
      ec = co_await write_rest(up.socket, up.deadline, options_.response_timeout, buffers, sent);
    }
    if (ec) {
      // The rest of the body stays unread; the client connection cannot be reused.
      result.linger = true;
      co_return ec == beast::error::timeout ? Failure::kTimeout : Failure::kClosed;
    }
  }
  co_return Failure::kNone;
}

asio::awaitable<ProxyExchange::Failure> ProxyExchange::relay_response(const ProxyRequest& r,
                                                                      UpstreamConnection& up,
                                                                      ProxyResult& result) {
  // The response head, after any interim 1xx responses, which are not relayed: weir answered
  // 100-continue itself, and a 101 could only follow an Upgrade weir never forwards. The
  // parser writes the client's head into `out` as it goes.
  beast::error_code ec;
  std::string& out = up.response_head;
  std::optional<UpstreamHeadParser> head;
  up.deadline.expires_after(options_.response_timeout);
  for (bool final = false; !final;) {
    head.emplace(out, r.head.version, !r.rate_headers.empty());
    for (;;) {
      const auto buffered = up.buffer.data();
      const auto parsed =
          head->parse(std::string_view(static_cast<const char*>(buffered.data()), buffered.size()),
                      r.head.method == bhttp::verb::head);
      if (parsed == UpstreamHeadParser::kDone) break;
      if (parsed == UpstreamHeadParser::kBad) co_return Failure::kProtocol;
      const std::size_t room = up.buffer.max_size() - up.buffer.size();
      if (room == 0) co_return Failure::kProtocol;
      const std::size_t n = co_await up.socket.async_read_some(
          up.buffer.prepare(std::min<std::size_t>(room, 16 * 1024)),
          asio::redirect_error(use_awaitable, ec));
      if (ec) co_return up.deadline.expired() ? Failure::kTimeout : Failure::kClosed;
      up.buffer.commit(n);
    }
    up.buffer.consume(head->head_bytes());
    if (head->status() == 101) co_return Failure::kProtocol;
    final = head->status() / 100 != 1;
  }
  up.deadline.expires_never();

  // Framing towards the client: the upstream's length, else chunks for HTTP/1.1 clients, else
  // (HTTP/1.0) the end of the connection.
  using Upstream = UpstreamHeadParser::Framing;
  enum class Framing { kNoBody, kLength, kChunked, kUntilClose } framing;
  if (head->framing() == Upstream::kNoBody ||
      (head->framing() == Upstream::kLength && head->content_length() == 0)) {
    framing = Framing::kNoBody;
  } else if (head->framing() == Upstream::kLength) {
    framing = Framing::kLength;
  } else if (r.head.version >= 11) {
    framing = Framing::kChunked;
  } else {
    framing = Framing::kUntilClose;
  }
  const bool keep_alive = r.keep_alive && framing != Framing::kUntilClose &&
                          !r.draining.load(std::memory_order_relaxed);

  // The rest of the head. A kept Content-Length is already in it; a HEAD or 304 response's
  // length describes the body it did not send, and stays too.
  if (framing == Framing::kChunked) out.append("Transfer-Encoding: chunked\r\n");
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (r.head.version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append(r.rate_headers);
  out.append(kCrlf);
  result.status = head->status();
  result.keep_alive = keep_alive;

  const auto client_left = [&] {
    // The upstream's unread rest makes its connection useless too.
    result.keep_alive = false;
    beast::error_code ignored;
    up.socket.close(ignored);
    return Failure::kNone;
  };
  const auto upstream_failed = [&](bool head_sent) {
    // Before the head went out the client can still be told; after, only cut off.
    if (!head_sent) result.status = 0;
    result.keep_alive = false;
    if (up.deadline.expired()) return Failure::kTimeout;
    return is_http_error(ec) ? Failure::kProtocol : Failure::kClosed;
  };

  if (framing == Framing::kNoBody || framing == Framing::kLength) {
    // The body needs no parsing: its bytes go from the upstream's buffer to the client as they
    // are, with the head in the same write; bytes that came with the head are relayed at once,
    // else the head goes alone, so a client of a slow stream sees the status without waiting.
    std::uint64_t remaining = framing == Framing::kLength ? head->content_length() : 0;
    bool head_sent = false;
    for (;;) {
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining, up.buffer.size()));
      const std::array<asio::const_buffer, 2> buffers = {
          asio::buffer(head_sent ? std::string_view() : std::string_view(out)),
          asio::buffer(up.buffer.data().data(), take)};
      const std::size_t sent = write_now(r.client, buffers, ec);
      if (!ec && sent < asio::buffer_size(buffers)) {
        ec = co_await write_rest(r.client, r.client_deadline, client_timeouts_.idle, buffers, sent);
      }
      if (ec) co_return client_left();
      head_sent = true;
      up.buffer.consume(take);
      remaining -= take;
      if (remaining == 0) break;

      up.deadline.expires_after(options_.response_timeout);
      const std::size_t n = co_await up.socket.async_read_some(
          up.buffer.prepare(static_cast<std::size_t>(
              std::min<std::uint64_t>(remaining, up.buffer.max_size() - up.buffer.size()))),
          asio::redirect_error(use_awaitable, ec));
      if (ec) co_return upstream_failed(true);
      up.deadline.expires_never();
      up.buffer.commit(n);
    }
  } else {
    // A chunked or unframed body is parsed, window by window; the head goes out with the
    // first one.
    ProxyBuffer& window = this->window();
    UpstreamBodyParser parser(head->framing() == Upstream::kChunked);
    bool head_sent = false;
    for (;;) {
      window.clear();
      if (!parser.is_done() && (head_sent || up.buffer.size() > 0)) {
        parser.stream_body_to(&window);
        up.deadline.expires_after(options_.response_timeout);
        co_await bhttp::async_read_some(up.socket, up.buffer, parser,
                                        asio::redirect_error(use_awaitable, ec));
        parser.stream_body_to(nullptr);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) co_return upstream_failed(head_sent);
        up.deadline.expires_never();
      }

      const std::string_view data = window.data();
      const bool chunked = framing == Framing::kChunked;
      std::string size_line;
      if (chunked && !data.empty()) {
        append_number(size_line, data.size(), 16);
        size_line.append(kCrlf);
      }
      const bool last = chunked && parser.is_done();
      const std::array<asio::const_buffer, 5> buffers = {
          asio::buffer(head_sent ? std::string_view() : std::string_view(out)),
          asio::buffer(size_line), asio::buffer(data),
          asio::buffer(chunked && !data.empty() ? kCrlf : std::string_view()),
          asio::buffer(last ? kLastChunk : std::string_view())};
      if (asio::buffer_size(buffers) > 0) {
        const std::size_t sent = write_now(r.client, buffers, ec);
        if (!ec && sent < asio::buffer_size(buffers)) {
          ec = co_await write_rest(r.client, r.client_deadline, client_timeouts_.idle, buffers,
                                   sent);
        }
        if (ec) co_return client_left();
        head_sent = true;
      }
      if (parser.is_done()) break;
    }
  }

  result.complete = true;
  // Reusable only after a complete, persistent exchange with nothing left over.
  if (!head->keep_alive() || up.buffer.size() > 0) {
    beast::error_code ignored;
    up.socket.close(ignored);
  }
  co_return Failure::kNone;
}

asio::awaitable<void> ProxyExchange::answer_failure(const ProxyRequest& r, Failure failure,
                                                    ProxyResult& result) {
  const int status = failure == Failure::kTimeout ? 504 : 502;
  // The body must have been read whole for the connection to go on.
  const bool keep_alive =
      r.keep_alive && r.parser.is_done() && !r.draining.load(std::memory_order_relaxed);

  std::string out;
  Response response(out);
  response.start(status, keep_alive, r.head.version);
  out.append(r.rate_headers);
  response.json_body(
      status == 504 ? R"({"error":"gateway timeout"})" : R"({"error":"bad gateway"})",
      r.head.method == bhttp::verb::head);

  result.status = status;
  result.keep_alive = keep_alive;
  result.linger = result.linger || !r.parser.is_done();
  beast::error_code ec;
  const auto answer = asio::buffer(out);
  const std::size_t sent = write_now(r.client, answer, ec);
  if (!ec && sent < answer.size()) {
    ec = co_await write_rest(r.client, r.client_deadline, client_timeouts_.idle, answer, sent);
  }
  if (ec) result.keep_alive = false;
  result.complete = !ec;
}

}  // namespace weir::http
