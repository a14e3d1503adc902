#include "http/metrics_endpoint.hpp"

#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "http/admin_api.hpp"
#include "metrics/registry.hpp"

namespace weir::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::use_awaitable;

namespace {

constexpr std::chrono::seconds kReadDeadline{10};
constexpr std::size_t kMaxRequestBytes = 16 * 1024;

asio::awaitable<void> serve_scraper(asio::ip::tcp::socket socket, metrics::Registry& registry,
                                    AdminApi* admin) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(kMaxRequestBytes);
  beast::error_code ec;

  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxRequestBytes);
    parser.body_limit(kMaxRequestBytes);
    stream.expires_after(kReadDeadline);
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) break;

    const auto& request = parser.get();
    bhttp::response<bhttp::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(bhttp::field::server, "weir");

    std::string_view target = request.target();
    if (admin != nullptr && AdminApi::owns(target)) {
      AdminReply answer =
          co_await admin->handle(request.method(), target, request[bhttp::field::authorization]);
      response.result(static_cast<unsigned>(answer.status));
      response.set(bhttp::field::content_type, "application/json");
      response.set(bhttp::field::cache_control, "no-store");
      if (answer.status == 401) response.set(bhttp::field::www_authenticate, "Bearer");
      response.body() = std::move(answer.body);
      response.prepare_payload();
      co_await bhttp::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
      if (ec || !response.keep_alive()) break;
      continue;
    }
    target = target.substr(0, target.find('?'));
    if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
      response.result(bhttp::status::method_not_allowed);
      response.set(bhttp::field::allow, "GET, HEAD");
    } else if (target == "/metrics") {
      response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = registry.render();
    } else if (target == "/healthz") {
      response.set(bhttp::field::content_type, "application/json");
      response.body() = R"({"status":"ok"})";
    } else {
      response.result(bhttp::status::not_found);
      response.set(bhttp::field::content_type, "application/json");
      response.body() = R"({"error":"not found"})";
    }
    response.prepare_payload();
    if (request.method() == bhttp::verb::head) response.body().clear();

    co_await bhttp::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace

asio::awaitable<void> MetricsEndpoint::serve(asio::ip::tcp::acceptor& acceptor,
                                             metrics::Registry& registry, AdminApi* admin) {
  for (;;) {
    beast::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // a connection that failed before accept completed
    asio::co_spawn(acceptor.get_executor(), serve_scraper(std::move(socket), registry, admin),
                   asio::detached);
  }
}

}  // namespace weir::http
