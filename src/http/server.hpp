// weir::http::Server: the HTTP front end. One io_context and one acceptor per thread, all
// bound to the same port with SO_REUSEPORT so the kernel spreads connections; a connection
// lives on one thread from accept to close, so nothing on the request path is shared but the
// immutable Runtime, the store and the metrics' atomics.
//
//   weir::http::Server server(options, runtime, metrics, registry);
//   MyStore store(server.contexts());   // a remote store runs on the server's threads
//   server.start(store);     // binds; throws with the address on failure
//   server.wait();           // returns after SIGTERM/SIGINT and a graceful drain
//
// Defences applied at accept, before a byte is read: connections.max, connections.per_ip and
// a peer that is itself blocklisted (statically or through the admin API) are closed at once.
// SIGHUP calls ServerOptions::reload and swaps the runtime it returns on every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/request_metrics.hpp"
#include "http/runtime.hpp"
#include "weir/store.hpp"

namespace boost::asio {
class io_context;
}

namespace weir::metrics {
class Registry;
}

namespace weir::http {

struct ServerOptions {
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 8000;
  std::string metrics_host = "0.0.0.0";
  std::uint16_t metrics_port = 9090;
  unsigned threads = 0;  // 0: one per core
  std::chrono::milliseconds shutdown_grace{10'000};
  // Called once a second on one thread, e.g. to expire idle store state.
  std::function<void()> housekeeping;
  // Called on SIGHUP on one server thread: the runtime to swap in, or null to keep the current
  // one (the callback logs why).
  std::function<std::shared_ptr<const Runtime>()> reload;
};

class Server {
 public:
  // Creates the threads' io_contexts (not yet running).
  Server(ServerOptions options, std::shared_ptr<const Runtime> runtime, RequestMetrics& metrics,
         metrics::Registry& registry);
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // One io_context per server thread, for stores that do their I/O on those threads.
  std::vector<boost::asio::io_context*> contexts();

  // Binds both listeners and starts the threads; `store` must outlive the server. Throws
  // std::runtime_error naming the address when a listener cannot be bound.
  void start(Store& store);

  // Blocks until a shutdown completes (a signal or stop()).
  void wait();

  // Begins a graceful shutdown: stop accepting, finish in-flight requests (up to the grace
  // period), then stop. Safe from any thread.
  void stop();

  // Makes `runtime` the one every thread uses: new connections at once, open ones from their
  // next request; requests in flight finish under the runtime they started with. Safe from any
  // thread after start().
  void swap_runtime(std::shared_ptr<const Runtime> runtime);

  // The bound ports (useful with port 0). Valid after start().
  std::uint16_t port() const;
  std::uint16_t metrics_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weir::http
