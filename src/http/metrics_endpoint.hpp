// weir::http::MetricsEndpoint: the operator's listener (`metrics_listen`), apart from client
// traffic so that a flood on the main port never hides the numbers that describe it.
//
// Serves GET /metrics in the Prometheus text format 0.0.4, GET /healthz, and the admin API
// (admin_api.hpp) under /admin/.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace weir::metrics {
class Registry;
}

namespace weir::http {

class AdminApi;

class MetricsEndpoint {
 public:
  // Serves connections accepted on `acceptor` until it is closed. `registry` and `admin`
  // outlive it; `admin` may be null (no /admin/ routes).
  static boost::asio::awaitable<void> serve(boost::asio::ip::tcp::acceptor& acceptor,
                                            metrics::Registry& registry, AdminApi* admin = nullptr);
};

}  // namespace weir::http
