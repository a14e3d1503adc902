#include "weir/sliding_counter.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace weir {
namespace {

// floor(a / b) for b > 0, also for instants before the epoch.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The counts as they stand in fixed window `index`, given counts last updated in `from`.
struct Counts {
  std::int64_t index;
  std::uint32_t previous;
  std::uint32_t current;
};

Counts advance(std::int64_t from, std::uint32_t previous, std::uint32_t current,
               std::int64_t index) {
  if (index == from) return {index, previous, current};
  if (index == from + 1) return {index, current, 0};
  return {index, 0, 0};
}

// The weight of the previous window at `t`, which lies in fixed window `index`.
double weight_at(std::int64_t t, std::int64_t index, std::int64_t window) {
  const std::int64_t elapsed = t - index * window;
  return static_cast<double>(window - elapsed) / static_cast<double>(window);
}

double estimate(std::uint32_t previous, std::uint32_t current, double weight) {
  return static_cast<double>(previous) * weight + static_cast<double>(current);
}

// Whether a request at `t` (at or after the state's window) would be admitted.
bool admits(std::int64_t from, std::uint32_t previous, std::uint32_t current, std::int64_t t,
            std::int64_t window, std::uint32_t requests) {
  const Counts c = advance(from, previous, current, floor_div(t, window));
  return estimate(c.previous, c.current, weight_at(t, c.index, window)) + 1.0 <=
         static_cast<double>(requests);
}

// The earliest instant after `t` at which a request would be admitted, `t` being denied.
std::int64_t earliest_admission(const Counts& c, std::int64_t t, std::int64_t window,
                                std::uint32_t requests) {
  const double w = static_cast<double>(window);
  std::int64_t candidate;
  if (std::uint64_t{c.current} + 1 <= requests) {
    // Only the previous window's weight has to fall; previous > 0, or t would be admitted.
    const double e =
        w - static_cast<double>(requests - 1 - c.current) * w / static_cast<double>(c.previous);
    candidate = c.index * window + static_cast<std::int64_t>(std::ceil(e));
  } else {
    // Full: in the next window this window's count becomes the weighted one.
    const double e = w - static_cast<double>(requests - 1) * w / static_cast<double>(c.current);
    candidate = (c.index + 1) * window + static_cast<std::int64_t>(std::ceil(e));
  }
  candidate = std::max(candidate, t + 1);

  // The closed forms round; settle on the exact first admitting microsecond.
  while (!admits(c.index, c.previous, c.current, candidate, window, requests))
    ++candidate;
  while (candidate - 1 > t &&
         admits(c.index, c.previous, c.current, candidate - 1, window, requests)) {
    --candidate;
  }
  return candidate;
}

}  // namespace

Decision SlidingCounter::decide(const Limit& limit, Instant now) {
  assert(limit.requests >= 1 && limit.window.count() >= 1);
  const std::int64_t window = limit.window.count();
  const std::uint32_t requests = limit.requests;

  // Move to t's fixed window.
  const Instant at = std::max(now, latest);
  const std::int64_t t = at.time_since_epoch().count();
  const std::int64_t from = floor_div(latest.time_since_epoch().count(), window);
  const Counts c = advance(from, previous, current, floor_div(t, window));
  latest = at;
  previous = c.previous;
  current = c.current;

  const double weight = weight_at(t, c.index, window);
  const double n = static_cast<double>(requests);

  Decision decision;
  decision.limit = requests;
  decision.allowed = estimate(previous, current, weight) + 1.0 <= n;
  if (decision.allowed) {
    current += 1;
    const double left = std::floor(n - estimate(previous, current, weight));
    decision.remaining = left <= 0.0 ? 0 : static_cast<std::uint32_t>(left);
  } else {
    decision.remaining = 0;
    decision.retry_after = Duration(earliest_admission(c, t, window, requests) - t);
  }

  if (current > 0) {
    decision.reset = Duration((c.index + 2) * window - t);
  } else if (previous > 0) {
    decision.reset = Duration((c.index + 1) * window - t);
  }
  return decision;
}

Instant SlidingCounter::expires_at(const Limit& limit) const {
  const std::int64_t window = limit.window.count();
  const std::int64_t index = floor_div(latest.time_since_epoch().count(), window);
  if (current > 0) return Instant(Duration((index + 2) * window));
  if (previous > 0) return Instant(Duration((index + 1) * window));
  return Instant{};
}

}  // namespace weir
