// weir::Limit and weir::Algorithm: what one rate-limit rule allows.
#pragma once

#include <cstdint>
#include <string_view>

#include "weir/clock.hpp"

namespace weir {

enum class Algorithm : std::uint8_t {
  // Exact: at most `requests` admitted in any interval of length `window`. Keeps one timestamp
  // per admitted request still inside the window, so state is bounded by `requests`.
  kSlidingLog,
  // Approximate: the previous fixed window's count weighted by its overlap with the sliding
  // window, plus the current window's count. Constant state per key.
  kSlidingCounter,
  // Generic cell rate algorithm: one request every window/requests, bursts up to `burst`.
  // Constant state per key (one timestamp).
  kGcra,
};

std::string_view to_string(Algorithm algorithm);

// Bounds enforced by the configuration loader, chosen so that every intermediate value of every
// algorithm stays exactly representable in a double (2^53), as Redis's Lua computes in doubles.
inline constexpr std::uint32_t kMaxRequests = 1'000'000;
inline constexpr Duration kMaxWindow = std::chrono::hours(24);
inline constexpr std::uint32_t kMaxBurstFactor = 100;  // burst <= 100 * requests

struct Limit {
  Algorithm algorithm = Algorithm::kSlidingLog;
  std::uint32_t requests = 100;                // the quota: 1..kMaxRequests
  Duration window = std::chrono::seconds(60);  // 1ms..kMaxWindow
  std::uint32_t burst = 0;                     // gcra only; 0 means `requests`

  std::uint32_t effective_burst() const { return burst == 0 ? requests : burst; }
  friend bool operator==(const Limit&, const Limit&) = default;
};

}  // namespace weir
