// weir::SlidingLog: the exact sliding window log, one key's state and its decision.
//
// Keeps the timestamp of every admitted request still inside the window, so at most
// `requests` requests are admitted in any interval of length `window`, with no approximation.
// The timestamps live in a ring buffer allocated on the first admission and grown by doubling
// up to `requests` entries, never beyond: 8 bytes per timestamp plus a 16-byte header.
// The ring does not shrink when traffic falls; a key's memory returns when the store drops the
// expired key.
//
//   weir::SlidingLog state;
//   weir::Limit limit{.algorithm = weir::Algorithm::kSlidingLog, .requests = 10,
//                     .window = std::chrono::seconds(1)};
//   weir::Decision d = state.decide(limit, clock.now());
//
// Exact semantics, all in integer microseconds:
//
//   t = max(now, latest); latest = t              (a key's time never runs backwards)
//   a timestamp ts counts at t while t - ts < W; older ones are dropped
//   admitted iff count < N; then t is appended and
//     remaining = N - count (count after appending), reset = newest + W - t (= W),
//     retry_after = 0
//   denied otherwise (nothing appended):
//     remaining = 0, reset = newest + W - t, retry_after = oldest + W - t
//   Decision.limit = N always.
#pragma once

#include <cstddef>
#include <cstdint>

#include "weir/clock.hpp"
#include "weir/decision.hpp"
#include "weir/limit.hpp"

namespace weir {

// Per-key state: 16 bytes inline plus the ring buffer on the heap. A default-constructed
// SlidingLog is empty and owns no memory. Not thread-safe: the owner (a store shard) serialises
// access.
class SlidingLog {
 public:
  SlidingLog() = default;
  SlidingLog(const SlidingLog& other);
  SlidingLog& operator=(const SlidingLog& other);
  SlidingLog(SlidingLog&& other) noexcept;
  SlidingLog& operator=(SlidingLog&& other) noexcept;
  ~SlidingLog();

  // Counts and decides one request at `now`. Precondition: `limit` is within the bounds of
  // limit.hpp (requests >= 1, window >= 1us). Never throws, except std::bad_alloc when the ring
  // buffer cannot grow.
  Decision decide(const Limit& limit, Instant now);

  // When the newest timestamp leaves the window (the state is then as good as empty).
  Instant expires_at(const Limit& limit) const;

  // Timestamps held, some possibly expired until the next decision drops them.
  std::uint32_t size() const { return count_; }
  // Timestamps the ring buffer can hold before it grows.
  std::uint32_t capacity() const;
  // Heap bytes owned (the ring buffer and its header), not counting allocator overhead.
  std::size_t heap_bytes() const;

 private:
  // Layout of the heap block: [0] latest time seen, [1] capacity, [2...] the ring.
  static constexpr std::size_t kHeader = 2;

  std::int64_t at(std::uint32_t i) const;  // the i-th oldest timestamp
  void grow(std::uint32_t requests);

  std::int64_t* block_ = nullptr;
  std::uint32_t head_ = 0;   // ring index of the oldest timestamp
  std::uint32_t count_ = 0;  // timestamps held
};

}  // namespace weir
