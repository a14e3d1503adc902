#include "http/proxy_exchange.hpp"

#include <array>
#include <charconv>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "http/response.hpp"
#include "http/upstream_response_parser.hpp"
#include "metrics/server_metrics.hpp"

namespace weir::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// What the upstream side may buffer beyond the window: a response head (at most
// UpstreamResponseParser::kMaxHeadBytes) or one socket read of body bytes.
constexpr std::size_t kUpstreamBufferBytes = 64 * 1024;

constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kCrlf = "\r\n";

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && beast::iequals(text.substr(0, prefix.size()), prefix);
}

// Fields that describe one connection, not the message (RFC 9110 section 7.6.1), plus
// Transfer-Encoding and Trailer, as weir frames each side itself and sends no trailers.
bool is_hop_by_hop(bhttp::field id, std::string_view name) {
  switch (id) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::transfer_encoding:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::upgrade:
      return true;
    default:
      return starts_with_nocase(name, "proxy-");
  }
}

// True when a Connection field of `fields` lists `name` among its options, which makes `name`
// hop-by-hop too.
bool named_by_connection(const ProxyHeaders& fields, std::string_view name) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields.id(i) != bhttp::field::connection) continue;
    std::string_view list = fields.value(i);
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view token = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (beast::iequals(token, name)) return true;
    }
  }
  return false;
}

// The rate-limit fields weir writes itself; the upstream's own are dropped when weir does.
bool is_rate_limit_field(std::string_view name) {
  return starts_with_nocase(name, "x-ratelimit-") || beast::iequals(name, "ratelimit") ||
         beast::iequals(name, "ratelimit-policy");
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append(kCrlf);
}

void append_number(std::string& out, std::uint64_t value, int base = 10) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value, base);
  out.append(digits, end);
}

bool is_timeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
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
    : options_(options),
      client_timeouts_(client_timeouts),
      pool_(pool),
      metrics_(metrics),
      window_(kWindowBytes) {}

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
    build_request_head(r);
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
    failure = co_await send_request(r, *up, body_started, result);
    if (failure == Failure::kNone) failure = co_await relay_response(r, *up, result);
    if (failure == Failure::kNone) {
      // relay_response kept the connection only if it can carry another exchange.
      if (result.complete && up->stream.socket().is_open()) {
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
  auto up = std::make_unique<UpstreamConnection>(executor);
  up->buffer.max_size(kUpstreamBufferBytes);
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;

  beast::error_code ec;
  if (options_.address) {
    up->stream.expires_at(deadline);
    co_await up->stream.async_connect(tcp::endpoint(*options_.address, options_.port),
                                      asio::redirect_error(use_awaitable, ec));
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
    auto endpoints = co_await resolver->async_resolve(options_.host, std::to_string(options_.port),
                                                      asio::redirect_error(use_awaitable, ec));
    timer.cancel();
    if (!ec) {
      up->stream.expires_at(deadline);
      co_await up->stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    }
  }
  if (ec) {
    // A refused, unreachable or silent upstream alike: nothing was sent, nothing can be said.
    failure = Failure::kConnect;
    co_return nullptr;
  }
  up->stream.socket().set_option(tcp::no_delay(true), ec);
  co_return up;
}

void ProxyExchange::build_request_head(const ProxyRequest& r) {
  const RequestHead& head = r.head;
  const ProxyHeaders& fields = head.fields;
  std::string& out = head_;
  out.clear();

  out.append(head.method_text);
  out.push_back(' ');
  out.append(options_.base_path);
  out.append(head.target);
  out.append(" HTTP/1.1\r\n");

  // Host first, as clients send it: the override, else the client's, else the upstream's.
  std::string_view host = options_.host_header;
  for (std::size_t i = 0; host.empty() && i < fields.size(); ++i) {
    if (fields.id(i) == bhttp::field::host) host = fields.value(i);
  }
  if (host.empty()) host = options_.authority;
  append_field(out, "Host", host);

  for (std::size_t i = 0; i < fields.size(); ++i) {
    const bhttp::field id = fields.id(i);
    const std::string_view name = fields.name(i);
    if (is_hop_by_hop(id, name)) continue;
    // Written below, or handled by weir itself (framing, 100-continue).
    if (id == bhttp::field::host || id == bhttp::field::content_length ||
        id == bhttp::field::expect || id == bhttp::field::forwarded ||
        beast::iequals(name, "x-forwarded-for") || beast::iequals(name, "x-forwarded-proto")) {
      continue;
    }
    if (named_by_connection(fields, name)) continue;
    append_field(out, name, fields.value(i));
  }

  // The client's forwarding chains, each with this hop appended.
  const std::string peer = r.peer.to_string();
  out.append("X-Forwarded-For: ");
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!beast::iequals(fields.name(i), "x-forwarded-for") || fields.value(i).empty()) continue;
    out.append(fields.value(i));
    out.append(", ");
  }
  out.append(peer);
  out.append(kCrlf);
  append_field(out, "X-Forwarded-Proto", "http");
  out.append("Forwarded: ");
  for (std::size_t i = 0; i < fields.size(); ++i) {
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

asio::awaitable<ProxyExchange::Failure> ProxyExchange::send_request(const ProxyRequest& r,
                                                                    UpstreamConnection& up,
                                                                    bool& body_started,
                                                                    ProxyResult& result) {
  beast::error_code ec;
  up.stream.expires_after(options_.response_timeout);
  co_await asio::async_write(up.stream, asio::buffer(head_),
                             asio::redirect_error(use_awaitable, ec));
  if (ec) co_return is_timeout(ec) ? Failure::kTimeout : Failure::kClosed;
  if (r.parser.is_done()) co_return Failure::kNone;

  // The upstream is there: invite a client waiting on 100-continue to send its body.
  body_started = true;
  if (r.head.expect_continue) {
    r.client.expires_after(client_timeouts_.body);
    co_await asio::async_write(r.client, asio::buffer(Response::kContinue),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) {
      result.client_error = ec;
      co_return Failure::kClient;
    }
  }

  // One deadline for the whole body, as in demo mode; each write upstream has its own.
  const bool chunked = r.parser.chunked();
  r.parser.eager(true);
  r.client.expires_after(client_timeouts_.body);
  while (!r.parser.is_done()) {
    window_.clear();
    r.parser.stream_body_to(&window_);
    co_await bhttp::async_read_some(r.client, r.client_buffer, r.parser,
                                    asio::redirect_error(use_awaitable, ec));
    r.parser.stream_body_to(nullptr);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      result.client_error = ec;
      co_return Failure::kClient;
    }

    const std::string_view data = window_.data();
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
    if (asio::buffer_size(buffers) == 0) continue;

    up.stream.expires_after(options_.response_timeout);
    co_await asio::async_write(up.stream, buffers, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // The rest of the body stays unread; the client connection cannot be reused.
      result.linger = true;
      co_return is_timeout(ec) ? Failure::kTimeout : Failure::kClosed;
    }
  }
  co_return Failure::kNone;
}

asio::awaitable<ProxyExchange::Failure> ProxyExchange::relay_response(const ProxyRequest& r,
                                                                      UpstreamConnection& up,
                                                                      ProxyResult& result) {
  // The response head, after any interim 1xx responses, which are not relayed: weir answered
  // 100-continue itself, and a 101 could only follow an Upgrade weir never forwards.
  beast::error_code ec;
  std::optional<UpstreamResponseParser> parser;
  for (;;) {
    parser.emplace(response_fields_);
    parser->skip(r.head.method == bhttp::verb::head);
    up.stream.expires_after(options_.response_timeout);
    co_await bhttp::async_read_header(up.stream, up.buffer, *parser,
                                      asio::redirect_error(use_awaitable, ec));
    if (is_timeout(ec)) co_return Failure::kTimeout;
    if (ec) co_return is_http_error(ec) ? Failure::kProtocol : Failure::kClosed;
    if (parser->status() == 101) co_return Failure::kProtocol;
    if (parser->status() / 100 != 1) break;
  }
  // From here each read parses all it can, so a window fills in as few reads as possible.
  parser->eager(true);

  // Framing towards the client: the upstream's length, else chunks for HTTP/1.1 clients, else
  // (HTTP/1.0) the end of the connection.
  enum class Framing { kNoBody, kLength, kChunked, kUntilClose } framing;
  if (parser->is_done()) {
    framing = Framing::kNoBody;
  } else if (parser->content_length()) {
    framing = Framing::kLength;
  } else if (r.head.version >= 11) {
    framing = Framing::kChunked;
  } else {
    framing = Framing::kUntilClose;
  }
  const bool keep_alive = r.keep_alive && framing != Framing::kUntilClose &&
                          !r.draining.load(std::memory_order_relaxed);

  // The response head.
  const ProxyHeaders& fields = response_fields_;
  std::string& out = head_;
  out.clear();
  out.append(r.head.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(parser->status()));
  out.push_back(' ');
  out.append(parser->reason().empty() ? reason_phrase(parser->status()) : parser->reason());
  out.append(kCrlf);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const bhttp::field id = fields.id(i);
    const std::string_view name = fields.name(i);
    if (is_hop_by_hop(id, name)) continue;
    // A HEAD or 304 response's length describes the body it did not send: keep it.
    if (id == bhttp::field::content_length && framing != Framing::kNoBody) continue;
    if (!r.rate_headers.empty() && is_rate_limit_field(name)) continue;
    if (named_by_connection(fields, name)) continue;
    append_field(out, name, fields.value(i));
  }
  if (framing == Framing::kLength) {
    out.append("Content-Length: ");
    append_number(out, *parser->content_length());
    out.append(kCrlf);
  } else if (framing == Framing::kChunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (r.head.version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append(r.rate_headers);
  out.append(kCrlf);
  result.status = parser->status();
  result.keep_alive = keep_alive;

  // The body, window by window; the head goes out with the first one. Bytes that came with
  // the head are relayed at once; otherwise the head goes alone, so a client of a slow
  // stream sees the status without waiting for the first bytes of its body.
  bool head_sent = false;
  for (;;) {
    window_.clear();
    if (!parser->is_done() && (head_sent || up.buffer.size() > 0)) {
      parser->stream_body_to(&window_);
      up.stream.expires_after(options_.response_timeout);
      co_await bhttp::async_read_some(up.stream, up.buffer, *parser,
                                      asio::redirect_error(use_awaitable, ec));
      parser->stream_body_to(nullptr);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        // Before the head went out the client can still be told; after, only cut off.
        if (!head_sent) result.status = 0;
        result.keep_alive = false;
        if (is_timeout(ec)) co_return Failure::kTimeout;
        co_return is_http_error(ec) ? Failure::kProtocol : Failure::kClosed;
      }
    }

    const std::string_view data = window_.data();
    const bool chunked = framing == Framing::kChunked;
    std::string size_line;
    if (chunked && !data.empty()) {
      append_number(size_line, data.size(), 16);
      size_line.append(kCrlf);
    }
    const bool last = chunked && parser->is_done();
    const std::array<asio::const_buffer, 5> buffers = {
        asio::buffer(head_sent ? std::string_view() : std::string_view(out)),
        asio::buffer(size_line), asio::buffer(data),
        asio::buffer(chunked && !data.empty() ? kCrlf : std::string_view()),
        asio::buffer(last ? kLastChunk : std::string_view())};
    if (asio::buffer_size(buffers) > 0) {
      r.client.expires_after(client_timeouts_.idle);
      co_await asio::async_write(r.client, buffers, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        // The client left: the upstream's unread rest makes its connection useless too.
        result.keep_alive = false;
        up.stream.close();
        co_return Failure::kNone;
      }
      head_sent = true;
    }
    if (parser->is_done()) break;
  }

  result.complete = true;
  // Reusable only after a complete, persistent exchange with nothing left over.
  if (!parser->keep_alive() || up.buffer.size() > 0) up.stream.close();
  co_return Failure::kNone;
}

asio::awaitable<void> ProxyExchange::answer_failure(const ProxyRequest& r, Failure failure,
                                                    ProxyResult& result) {
  const int status = failure == Failure::kTimeout ? 504 : 502;
  // The body must have been read whole for the connection to go on.
  const bool keep_alive =
      r.keep_alive && r.parser.is_done() && !r.draining.load(std::memory_order_relaxed);

  Response response(head_);
  response.start(status, keep_alive, r.head.version);
  head_.append(r.rate_headers);
  response.json_body(
      status == 504 ? R"({"error":"gateway timeout"})" : R"({"error":"bad gateway"})",
      r.head.method == bhttp::verb::head);

  result.status = status;
  result.keep_alive = keep_alive;
  result.linger = result.linger || !r.parser.is_done();
  beast::error_code ec;
  r.client.expires_after(client_timeouts_.idle);
  co_await asio::async_write(r.client, asio::buffer(head_),
                             asio::redirect_error(use_awaitable, ec));
  if (ec) result.keep_alive = false;
  result.complete = !ec;
}

}  // namespace weir::http
