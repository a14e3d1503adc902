// weir::RedisCall: one script call other than a rate-limit decision (a ban or a dynamic block
// operation) on its way to Redis, and what becomes of its reply; weir::RedisCallSender: what
// sends it.
//
//   sender.send(make_redis_call<Duration>(ban_check_command(prefix, client), read_ban_check,
//                                         [](std::optional<Duration> left) { ... }));
//
// A call is read on the connection's thread (read(), while hiredis still owns the reply) and
// completed on the caller's io_context (complete()), so the caller's code never runs inside
// hiredis's reply processing, as for decisions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/functional/any_invocable.h>

#include "store/redis_scripts.hpp"

struct redisReply;

namespace weir {

// A script, its keys and its arguments. Every key must hash to one cluster slot: the call is
// routed by the first.
struct RedisCommand {
  const RedisScript* script = nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

class RedisCall {
 public:
  explicit RedisCall(RedisCommand command) : command_(std::move(command)) {}
  virtual ~RedisCall() = default;

  RedisCall(const RedisCall&) = delete;
  RedisCall& operator=(const RedisCall&) = delete;

  const RedisCommand& command() const { return command_; }

  // On the connection's thread, with a reply that is not an error: keeps what the caller
  // needs. False when the reply is not of the shape the script returns.
  virtual bool read(const redisReply& reply) = 0;

  // Exactly once, on the caller's io_context (or at once, on the caller's thread, when the
  // call was never sent). `answered` is false when Redis gave no usable reply: down, too slow,
  // an error reply, or a reply read() refused.
  virtual void complete(bool answered) && = 0;

 private:
  RedisCommand command_;
};

// Sends calls to the Redis serving their keys.
class RedisCallSender {
 public:
  virtual ~RedisCallSender() = default;
  // Takes the call; its complete() runs exactly once, as RedisCall says. Thread-safe.
  virtual void send(std::unique_ptr<RedisCall> call) = 0;
};

// A call whose reply `reader` turns into a T, handed to `done`; done(nullopt) when Redis did
// not answer usably.
template <typename T>
class RedisValueCall final : public RedisCall {
 public:
  using Reader = std::optional<T> (*)(const redisReply&);
  using Done = absl::AnyInvocable<void(std::optional<T>) &&>;

  RedisValueCall(RedisCommand command, Reader reader, Done done)
      : RedisCall(std::move(command)), reader_(reader), done_(std::move(done)) {}

  bool read(const redisReply& reply) override {
    value_ = reader_(reply);
    return value_.has_value();
  }

  void complete(bool answered) && override {
    if (!answered) value_.reset();
    std::move(done_)(std::move(value_));
  }

 private:
  Reader reader_;
  Done done_;
  std::optional<T> value_;
};

template <typename T, typename Done>
std::unique_ptr<RedisCall> make_redis_call(RedisCommand command,
                                           std::optional<T> (*reader)(const redisReply&),
                                           Done done) {
  return std::make_unique<RedisValueCall<T>>(std::move(command), reader,
                                             typename RedisValueCall<T>::Done(std::move(done)));
}

}  // namespace weir
