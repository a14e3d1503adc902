// weir::RedisClusterRouter: which Redis Cluster node gets a decision, and the connections to
// every master.
//
// The router keeps the slot map (CLUSTER SLOTS) and, per master, `options.connections`
// pipelined RedisConnections spread over the io_contexts. RedisStore asks it for the
// connection serving a key's slot and hands it the error replies that redirect: MOVED (the
// slot lives elsewhere now: the map is patched at once and refreshed) and ASK (the slot is
// being migrated: the request goes once to the importing node, preceded by ASKING).
//
// The map is read at start-up (synchronously, from the seeds, bounded by options.timeout per
// node) and refreshed by a thread of the router's own: soon after a MOVED or a failed request
// (at most every 250 ms), and every 5 s regardless, so a failed-over master's replica is found
// within a refresh once the cluster has promoted it. The refresh thread talks to Redis with
// blocking hiredis calls; no io_context thread ever waits for it.
//
//   RedisClusterRouter router(contexts, options, sink, writes);
//   RedisConnection* c = router.pick(redis_cluster_slot(key), home);   // any io thread
//
// Thread-safe: every method may run on any thread.
//
// Known gaps: a node that leaves the slot map (a failed master, a removed node) keeps its
// connections, which go on reconnecting with backoff until the store is destroyed; and the
// store's circuit breaker is shared by all masters, so while one master fails over, requests
// for the healthy ones are decided by the policy too whenever the breaker is open.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/redis_asio_events.hpp"
#include "store/redis_request.hpp"
#include "store/redis_store_options.hpp"

namespace weir {

class RedisConnection;

class RedisClusterRouter {
 public:
  // `contexts`, `sink` and `writes` must outlive the router; options.url is a cluster URL.
  // Reads the slot map before returning (a warning, not an error, when no seed answers: the
  // refresh thread keeps trying, and requests go to the first seed meanwhile).
  // Throws std::invalid_argument when options.url has no seeds.
  RedisClusterRouter(std::vector<boost::asio::io_context*> contexts,
                     const RedisStoreOptions& options, RedisRequestSink& sink,
                     RedisWriteCount& writes);
  // Stops the refresh thread, then frees the connections (see ~RedisConnection: the contexts
  // must no longer serve requests).
  ~RedisClusterRouter();

  RedisClusterRouter(const RedisClusterRouter&) = delete;
  RedisClusterRouter& operator=(const RedisClusterRouter&) = delete;

  // Stops the refresh thread; idempotent. Call before the io_contexts stop.
  void stop_refreshing();

  // A connection to the master serving `slot`: one living on `home` if it has one, ready
  // before connecting. nullptr when all of that master's connections are down.
  RedisConnection* pick(std::uint16_t slot, boost::asio::io_context* home);

  // Called with a request's error reply, on the connection's thread. When it is a MOVED or ASK
  // the request may follow, the router takes the request's contents (the caller must then
  // forget it: its `done` is gone) and sends them on to the named node, and returns true.
  // Otherwise returns false and leaves the request alone.
  bool redirect(RedisRequest& request, std::string_view error);

  // A request failed (lost, timed out, or the cluster is down): refresh the map soon.
  void note_failure();

 private:
  struct Node;
  struct Target {
    std::string host;
    std::uint16_t port = 0;
  };

  Node& node_for(const std::string& host, std::uint16_t port);  // mutex_ held
  RedisConnection* pick_in(Node& node, boost::asio::io_context* home);
  bool refresh_once();
  void refresh_loop();
  void want_refresh();

  const std::vector<boost::asio::io_context*> contexts_;
  const RedisStoreOptions& options_;
  RedisRequestSink& sink_;
  RedisWriteCount& writes_;

  mutable std::mutex mutex_;                  // nodes_ and slots_
  std::vector<std::unique_ptr<Node>> nodes_;  // never shrinks: pointers stay valid
  std::vector<int> slots_;                    // node index per slot, -1 when unknown

  std::mutex refresh_mutex_;  // the fields below
  std::condition_variable refresh_wake_;
  bool refresh_wanted_ = false;
  bool stopping_ = false;
  bool refresh_failing_ = false;  // one warning per outage
  std::thread refresher_;
};

}  // namespace weir
