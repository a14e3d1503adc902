// weir::Clock: the one source of time for rate-limit decisions.
//
// Every algorithm takes the current time as an argument instead of reading a clock, so tests
// drive them with ManualClock and the Redis store can substitute the server's TIME.
//
//   weir::ManualClock clock;
//   clock.advance(std::chrono::seconds(1));
#pragma once

#include <atomic>
#include <chrono>

namespace weir {

// Microseconds are the resolution of Redis's TIME, so decisions made in memory and in Redis
// can agree exactly.
using Duration = std::chrono::microseconds;

// A point on the Unix timeline in microseconds. Wall time, not steady time, so that several
// weir instances and a Redis server share one timeline; algorithms tolerate a clock that steps
// backwards by never letting a key's time run backwards.
using Instant = std::chrono::sys_time<Duration>;

// Thread-safe: now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

// The machine's wall clock.
class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

// A clock that moves only when told to. Starts at an arbitrary fixed instant.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start = Instant(std::chrono::seconds(1'700'000'000)))
      : now_(start.time_since_epoch().count()) {}

  Instant now() const override { return Instant(Duration(now_.load(std::memory_order_relaxed))); }
  void advance(Duration by) { now_.fetch_add(by.count(), std::memory_order_relaxed); }
  void set(Instant to) { now_.store(to.time_since_epoch().count(), std::memory_order_relaxed); }

 private:
  std::atomic<Duration::rep> now_;
};

}  // namespace weir
