// weir::Decision: the answer of a rate-limit algorithm for one request.
#pragma once

#include <cstdint>

#include "weir/clock.hpp"

namespace weir {

struct Decision {
  bool allowed = true;
  std::uint32_t limit = 0;      // the rule's quota (`requests`)
  std::uint32_t remaining = 0;  // requests still admissible now, after this one
  // Time until the quota is whole again if no further request arrives: the newest counted
  // request leaves the window, or the GCRA bucket drains. Zero when nothing is counted.
  Duration reset{0};
  // When denied: the exact time until a request would be admitted. Zero when allowed.
  Duration retry_after{0};

  friend bool operator==(const Decision&, const Decision&) = default;
};

// Seconds for headers: rounded up, so a client that waits that long is admitted.
inline std::int64_t ceil_seconds(Duration d) {
  return d.count() <= 0 ? 0 : (d.count() + 999'999) / 1'000'000;
}

}  // namespace weir
