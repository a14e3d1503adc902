// weir::SlidingCounter: the sliding window counter, one key's state and its decision.
//
// Time is cut into fixed windows aligned on the Unix timeline (window i covers
// [i * W, (i + 1) * W)). The count of the sliding window ending now is estimated as the previous
// fixed window's count, weighted by how much of it the sliding window still overlaps, plus the
// current fixed window's count. Constant state: 16 bytes per key.
//
//   weir::SlidingCounter state;
//   weir::Limit limit{.algorithm = weir::Algorithm::kSlidingCounter, .requests = 100,
//                     .window = std::chrono::seconds(60)};
//   weir::Decision d = state.decide(limit, clock.now());
//
// Exact semantics (integers are microseconds; the floating-point steps are IEEE doubles,
// evaluated in exactly this order so that a Lua script computing in doubles agrees bit for bit):
//
//   t = max(now, latest); latest = t            (a key's time never runs backwards)
//   index = floor(t / W); the state's window is floor(latest_before / W):
//     same index -> keep; index - 1 -> previous = current, current = 0; older -> both 0
//   elapsed = t - index * W
//   weight = double(W - elapsed) / double(W)
//   estimate = double(previous) * weight + double(current)
//   admitted iff estimate + 1.0 <= double(N); then current += 1 and
//     remaining = max(0, floor(double(N) - (double(previous) * weight + double(current))))
//   denied otherwise (counts unchanged): remaining = 0 and retry_after = t' - t, where t' is
//     the earliest instant after t at which the same predicate admits:
//       if current + 1 <= N (only the previous window's weight must fall):
//         t' = index * W + ceil(double(W) - double(N - 1 - current) * double(W) / double(previous))
//       else (wait for the next window, where previous becomes current):
//         t' = (index + 1) * W + ceil(double(W) - double(N - 1) * double(W) / double(current))
//       t' = max(t', t + 1); then, because the closed forms may be off by a rounding step,
//       t' is moved to the earliest admitting instant: while the predicate at t' denies, t' += 1;
//       while t' - 1 > t and the predicate at t' - 1 admits, t' -= 1. (The predicate only ever
//       turns from deny to admit as time passes, so this ends after a step or two.)
//   reset (after the decision) = (index + 2) * W - t if current > 0,
//                                (index + 1) * W - t if previous > 0, else 0.
//   Decision.limit = N always.
#pragma once

#include <cstdint>

#include "weir/clock.hpp"
#include "weir/decision.hpp"
#include "weir/limit.hpp"

namespace weir {

// Per-key state, 16 bytes. A value-initialised SlidingCounter is empty. Not thread-safe: the
// owner (a store shard) serialises access.
struct SlidingCounter {
  // The latest time this key has been asked about; its fixed window is the current one.
  Instant latest{};
  std::uint32_t previous = 0;  // admitted in the fixed window before latest's
  std::uint32_t current = 0;   // admitted in latest's fixed window

  // Counts and decides one request at `now`. Precondition: `limit` is within the bounds of
  // limit.hpp (requests >= 1, window >= 1us). Never throws.
  Decision decide(const Limit& limit, Instant now);

  // When both counts have left the sliding window (the state is then as good as empty).
  Instant expires_at(const Limit& limit) const;

  friend bool operator==(const SlidingCounter&, const SlidingCounter&) = default;
};

}  // namespace weir
