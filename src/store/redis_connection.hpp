// weir::RedisConnection: one pipelined hiredis connection on one io_context.
//
// Requests are written as EVALSHA as soon as they arrive; everything sent in one turn of the
// io_context leaves in one write, and replies come back in order, so a single connection
// carries many concurrent decisions per round trip. On connect it authenticates, selects the
// database and loads the scripts, all pipelined ahead of the first request. It watches every
// request's deadline with one timer, and reconnects with backoff whenever the connection fails.
//
// Not thread-safe: apart from state(), every method runs on the io_context's thread. Owned by
// a shared_ptr; handlers hold only weak references, so destroying it is always safe (see the
// destructor).
//
// Known gap: no TLS (Debian 12's hiredis 0.14 has none). Against a Redis Cluster it talks to
// one node; RedisClusterRouter keeps one set of connections per master and follows redirects.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "store/redis_asio_events.hpp"
#include "store/redis_request.hpp"
#include "store/redis_store_options.hpp"

struct redisAsyncContext;
struct redisReply;

namespace weir {

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  enum class State : std::uint8_t { kDown, kConnecting, kReady };

  // `options`, `sink` and `writes` must outlive the connection. Does not connect yet.
  RedisConnection(boost::asio::io_context& io, const RedisStoreOptions& options,
                  RedisRequestSink& sink, RedisWriteCount& writes, int id);
  // Frees the hiredis context. Requests still in flight are dropped without their callbacks:
  // destroy the connection only once its io_context has stopped serving requests.
  ~RedisConnection();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts connecting, from any thread (posted to the io_context).
  void start();

  // Sends a request, taking ownership of it; its outcome goes to the sink exactly once. A
  // connection that is down reports kLost at once.
  void send(RedisRequest* request);

  // Any thread. kReady and kConnecting connections accept requests (hiredis buffers them until
  // the socket is up).
  State state() const { return state_.load(std::memory_order_acquire); }
  boost::asio::io_context& context() { return io_; }

 private:
  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_reply(redisAsyncContext* context, void* reply, void* request);
  static void on_setup_reply(redisAsyncContext* context, void* reply, void* step);

  void resolve();
  void connect(const std::string& address);
  void send_setup();
  bool submit(RedisRequest* request);
  void handle_reply(RedisRequest* request, const redisReply* reply);
  void fail_waiting();

  void arm_timer();
  void on_timer();

  // Drops the current context (its in-flight requests report kLost) and reconnects later.
  void reset(const std::string& reason);
  void connection_failed(const std::string& reason);
  void schedule_reconnect();
  std::string endpoint() const;

  boost::asio::io_context& io_;
  const RedisStoreOptions& options_;
  RedisRequestSink& sink_;
  RedisWriteCount& writes_;
  const int id_;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;      // deadlines: requests, connect, stall
  boost::asio::steady_timer reconnect_;  // backoff between attempts
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point timer_expiry_{};

  redisAsyncContext* context_ = nullptr;
  // kConnecting from construction: requests sent before the first connect attempt (or while a
  // host name resolves) wait in waiting_ instead of failing.
  std::atomic<State> state_{State::kConnecting};
  std::chrono::steady_clock::time_point connect_deadline_{};
  std::chrono::milliseconds backoff_;
  bool stopping_ = false;
  bool failure_logged_ = false;  // one warning per outage, not one per attempt

  // Requests written and not yet answered, oldest first (a timed-out one stays until its reply
  // or the connection's end, as hiredis still holds it).
  std::deque<RedisRequest*> in_flight_;
  // Requests that arrived before there was a hiredis context to give them to; owned here.
  std::vector<RedisRequest*> waiting_;
};

}  // namespace weir
