// weir::RedisCircuitBreaker: stops paying a timeout per request while Redis is down.
//
// Closed: every request goes to Redis. After `failures_to_open` consecutive failures (no reply,
// a timeout, a lost connection) it opens: requests are decided by the failure policy without
// touching Redis, except one probe every `probe_interval`. The first probe Redis answers closes
// it again. So a dead Redis costs one timeout per probe interval, not one per request, and a
// returning Redis is used again within about one probe interval.
//
//   if (breaker.try_acquire(now)) send();   // else decide by the failure policy
//   ... breaker.record_success() / breaker.record_failure(now)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace weir {

class RedisCircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class State : std::uint8_t { kClosed, kOpen };
  // Called on every state change, outside any lock; `failures` is the run that opened it.
  using Listener = std::function<void(State, int failures)>;

  RedisCircuitBreaker(int failures_to_open, std::chrono::milliseconds probe_interval,
                      Listener listener = {});

  // Thread-safe. True when a request may go to Redis now: always while closed, and for one
  // caller per probe interval while open (that request is the probe).
  bool try_acquire(TimePoint now);
  // Thread-safe. True while open with no probe due: a caller can decide without Redis at once.
  bool bypassing(TimePoint now) const;

  // Thread-safe. Redis answered (any reply proves it reachable).
  void record_success();
  // Thread-safe. Redis did not answer: a timeout, a refused or lost connection.
  void record_failure(TimePoint now);

  State state() const { return state_.load(std::memory_order_acquire); }

 private:
  const int failures_to_open_;
  const std::chrono::milliseconds probe_interval_;
  const Listener listener_;

  std::atomic<State> state_{State::kClosed};
  std::atomic<int> failures_{0};  // consecutive, while closed
  std::mutex mutex_;              // guards transitions and next_probe_
  std::atomic<TimePoint::rep> next_probe_{0};
};

}  // namespace weir
