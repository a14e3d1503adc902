// weir::RedisAsioEvents: drives a hiredis asynchronous connection from a Boost.Asio io_context.
//
// hiredis does the protocol and asks, through five hooks, to be told when its socket is
// readable or writable. This adapter answers those hooks with a posix::stream_descriptor
// waiting for readiness, so a connection costs no thread and never blocks the io_context:
//
//   redisAsyncContext* ctx = redisAsyncConnect("127.0.0.1", 6379);
//   auto events = weir::RedisAsioEvents::attach(ctx, io, &writes);
//   redisAsyncCommand(ctx, on_reply, nullptr, "PING");   // sent when the socket is writable
//
// The adapter lives until hiredis frees the context (its cleanup hook), however that happens.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

#include "metrics/counter.hpp"

struct redisAsyncContext;

namespace weir {

// Writes of buffered commands to Redis sockets. One write carries every command queued since
// the previous one, so this counts network round trips.
struct RedisWriteCount {
  std::atomic<std::uint64_t> writes{0};
  metrics::Counter* round_trips = nullptr;  // counted here too when set

  void add() {
    writes.fetch_add(1, std::memory_order_relaxed);
    if (round_trips != nullptr) round_trips->inc();
  }
};

class RedisAsioEvents : public std::enable_shared_from_this<RedisAsioEvents> {
 public:
  // Installs the hooks on `context`, whose socket must already exist (ctx->c.fd), counting
  // writes in `writes` (may be null; else it must outlive the context). Returns false when the
  // context already has an event library. Must run on the thread that runs `io`, as must
  // everything hiredis does with `context`.
  static bool attach(redisAsyncContext* context, boost::asio::io_context& io,
                     RedisWriteCount* writes);

  RedisAsioEvents(redisAsyncContext* context, boost::asio::io_context& io, RedisWriteCount* writes);

 private:
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  void wait_readable();
  void wait_writable();

  redisAsyncContext* context_;  // null once hiredis has freed it
  boost::asio::posix::stream_descriptor descriptor_;
  RedisWriteCount* writes_;
  bool reading_ = false;  // hiredis wants read events
  bool writing_ = false;  // hiredis wants write events
  bool read_waiting_ = false;
  bool write_waiting_ = false;
  // hiredis holds a plain pointer to this adapter; this keeps it alive until cleanup.
  std::shared_ptr<RedisAsioEvents> self_;
};

}  // namespace weir
