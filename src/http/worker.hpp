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

#include "http/protection.hpp"
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
  Protection& protection;
  std::atomic<bool> draining{false};
  std::atomic<long> open_connections{0};
  // Connections admitted at accept and not yet closed: counted before the connection's
  // coroutine starts, so connections.max holds even for a burst of accepts.
  std::atomic<long> admitted_connections{0};
  std::atomic<long> in_flight{0};  // requests between head read and response written
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

  // This thread's copy of the dynamic block snapshot, renewed when its generation moves.
  const CidrSet& dynamic_blocks() {
    const std::uint64_t generation = shared.protection.blocks_generation();
    if (!blocks || generation != blocks_generation) {
      blocks = shared.protection.blocks();
      blocks_generation = generation;
    }
    return *blocks;
  }
  std::shared_ptr<const CidrSet> blocks;
  std::uint64_t blocks_generation = 0;
};

}  // namespace weir::http
