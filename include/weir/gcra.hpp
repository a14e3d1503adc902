// weir::Gcra: the generic cell rate algorithm, one key's state and its decision.
//
// A key may send one request every emission interval T = ceil(window / requests), and may run
// ahead of that schedule by up to `burst` requests. The state is one theoretical arrival time
// (TAT): when the key's schedule would next be idle. Rounding T up keeps the long-run rate at or
// below `requests` per `window`.
//
//   weir::Gcra state;
//   weir::Limit limit{.algorithm = weir::Algorithm::kGcra, .requests = 10,
//                     .window = std::chrono::seconds(1), .burst = 20};
//   weir::Decision d = state.decide(limit, clock.now());
//
// Exact semantics, all in integer microseconds (every value fits a double exactly within the
// bounds of limit.hpp, so a Lua script computing in doubles gets the same answers):
//
//   T = ceil(W / N), B = limit.effective_burst(), tolerance = B * T.
//   t = max(now, latest); latest = t              (a key's time never runs backwards)
//   tat = max(TAT, t); new_tat = tat + T
//   admitted iff new_tat - t <= B * T; then TAT = new_tat and
//     remaining = clamp(floor((B * T - (new_tat - t)) / T), 0, N), reset = new_tat - t,
//     retry_after = 0
//   denied otherwise (TAT unchanged):
//     remaining = 0, reset = tat - t, retry_after = new_tat - t - B * T
//   Decision.limit = N always.
//
// Guarantee: in any interval of length d, at most B + floor(d / T) requests are admitted.
#pragma once

#include "weir/clock.hpp"
#include "weir/decision.hpp"
#include "weir/limit.hpp"

namespace weir {

// Per-key state, 16 bytes. A value-initialised Gcra is empty. Not thread-safe: the owner (a
// store shard) serialises access.
struct Gcra {
  // Theoretical arrival time; Instant{} (the epoch) means empty.
  Instant tat{};
  // The latest time this key has been asked about, admitted or not.
  Instant latest{};

  // Counts and decides one request at `now`. Precondition: `limit` is within the bounds of
  // limit.hpp (requests >= 1, window >= 1us). Never throws.
  Decision decide(const Limit& limit, Instant now);

  // When the state becomes indistinguishable from an empty one (nothing counted any more).
  Instant expires_at(const Limit& /*limit*/) const { return tat; }

  friend bool operator==(const Gcra&, const Gcra&) = default;
};

// The emission interval: ceil(window / requests), at least one microsecond.
Duration gcra_emission_interval(const Limit& limit);

}  // namespace weir
