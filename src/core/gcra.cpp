#include "weir/gcra.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace weir {

Duration gcra_emission_interval(const Limit& limit) {
  assert(limit.requests >= 1);
  const std::int64_t window = limit.window.count();
  const std::int64_t n = limit.requests;
  return Duration(std::max<std::int64_t>(1, (window + n - 1) / n));
}

Decision Gcra::decide(const Limit& limit, Instant now) {
  const std::int64_t interval = gcra_emission_interval(limit).count();
  const std::int64_t tolerance = std::int64_t{limit.effective_burst()} * interval;

  const Instant t = std::max(now, latest);
  latest = t;
  const Instant current = std::max(tat, t);
  const Instant next = current + Duration(interval);
  const std::int64_t ahead = (next - t).count();  // how far the schedule runs ahead of t

  Decision decision;
  decision.limit = limit.requests;
  if (ahead <= tolerance) {
    tat = next;
    const std::int64_t left = (tolerance - ahead) / interval;  // both non-negative: floor
    decision.allowed = true;
    decision.remaining =
        static_cast<std::uint32_t>(std::clamp<std::int64_t>(left, 0, limit.requests));
    decision.reset = next - t;
    return decision;
  }

  decision.allowed = false;
  decision.remaining = 0;
  decision.reset = current - t;
  decision.retry_after = Duration(ahead - tolerance);
  return decision;
}

}  // namespace weir
