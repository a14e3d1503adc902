// weir::http::Worker: one server thread's world: its io_context, its acceptor, its view of the
// runtime and the connections it owns. Everything here is touched only from that thread.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74 with GCC 12)

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include <absl/container/flat_hash_set.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/request_metrics.hpp"
#include "http/runtime.hpp"
#include "http/upstream_pool.hpp"
#include "weir/store.hpp"

namespace weir::http {

class Connection;

// What every worker shares: all of it thread-safe.
struct ServerContext {
  Store* store = nullptr;  // set before the threads start
  RequestMetrics& metrics;
  std::atomic<bool> draining{false};
  std::atomic<long> open_connections{0};
};

struct Worker {
  explicit Worker(ServerContext& context) : shared(context) {}

  ServerContext& shared;
  boost::asio::io_context io{1};  // one thread: Asio may skip its internal locking
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::shared_ptr<const Runtime> runtime;
  absl::flat_hash_set<Connection*> connections;
  RequestCounterCache request_counters;
  UpstreamPool upstream_pool;  // proxy mode's idle upstream connections
  std::thread thread;
};

}  // namespace weir::http
