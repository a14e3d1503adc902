#include "store/redis_circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace weir {

RedisCircuitBreaker::RedisCircuitBreaker(int failures_to_open,
                                         std::chrono::milliseconds probe_interval,
                                         Listener listener)
    : failures_to_open_(std::max(1, failures_to_open)),
      probe_interval_(probe_interval),
      listener_(std::move(listener)) {}

bool RedisCircuitBreaker::try_acquire(TimePoint now) {
  if (state_.load(std::memory_order_acquire) == State::kClosed) return true;

  // Open: the first caller at or after the probe time claims the probe and moves it on, so a
  // probe that never completes cannot stop the next one.
  auto due = next_probe_.load(std::memory_order_acquire);
  const auto now_rep = now.time_since_epoch().count();
  while (now_rep >= due) {
    const auto next = (now + probe_interval_).time_since_epoch().count();
    if (next_probe_.compare_exchange_weak(due, next, std::memory_order_acq_rel)) return true;
  }
  return false;
}

bool RedisCircuitBreaker::bypassing(TimePoint now) const {
  return state_.load(std::memory_order_acquire) == State::kOpen &&
         now.time_since_epoch().count() < next_probe_.load(std::memory_order_acquire);
}

void RedisCircuitBreaker::record_success() {
  if (state_.load(std::memory_order_acquire) == State::kClosed) {
    if (failures_.load(std::memory_order_relaxed) != 0) {
      failures_.store(0, std::memory_order_relaxed);
    }
    return;
  }

  {
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) == State::kClosed) return;
    failures_.store(0, std::memory_order_relaxed);
    state_.store(State::kClosed, std::memory_order_release);
  }
  if (listener_) listener_(State::kClosed, 0);
}

void RedisCircuitBreaker::record_failure(TimePoint now) {
  if (state_.load(std::memory_order_acquire) == State::kOpen) return;

  const int failures = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (failures < failures_to_open_) return;

  {
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) == State::kOpen) return;
    next_probe_.store((now + probe_interval_).time_since_epoch().count(),
                      std::memory_order_release);
    state_.store(State::kOpen, std::memory_order_release);
  }
  if (listener_) listener_(State::kOpen, failures);
}

}  // namespace weir
