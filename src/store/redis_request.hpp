// weir::RedisRequest: one decision, or one ban or block call, on its way to Redis and back,
// and where its outcome goes.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "store/redis_call.hpp"
#include "store/redis_scripts.hpp"
#include "weir/store.hpp"

namespace weir {

struct RedisRequest {
  using TimePoint = std::chrono::steady_clock::time_point;

  // A decision: `key` under `limit`, answered through `done`...
  RateKey key;
  Limit limit;
  std::optional<Instant> at;  // explicit time instead of the server's TIME
  Store::Callback done;
  // ...or, when set, a call, which reads and completes itself.
  std::unique_ptr<RedisCall> call;

  boost::asio::io_context* reply_context = nullptr;  // where `done` (or the call) completes
  TimePoint started{};
  TimePoint deadline{};
  // Set once the outcome has been reported; a reply arriving after a timeout is then dropped
  // (never retried: the script may have counted the request).
  bool finished = false;
  // Sent again as EVAL after NOSCRIPT: at most once.
  bool retried = false;
  // Redis Cluster: preceded by ASKING (the node is importing the key's slot), and how many
  // MOVED or ASK redirects the request has followed.
  bool asking = false;
  int redirects = 0;
};

enum class RedisOutcome {
  kReply,    // the server answered; see the parsed reply
  kTimeout,  // no answer within the deadline
  kLost,     // not sent, or the connection failed before the answer
};

// Receives each request's outcome exactly once, on the connection's thread.
class RedisRequestSink {
 public:
  virtual ~RedisRequestSink() = default;
  virtual void finish(RedisRequest& request, RedisOutcome outcome, const ParsedReply* reply) = 0;
};

}  // namespace weir
