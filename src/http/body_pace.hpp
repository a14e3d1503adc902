// weir::http::BodyPace: the deadline for the next piece of a request body, from the body
// deadline and the minimum rate (timeouts.body, body_min_rate, body_grace).
//
// A body must be complete within `body` of its start, and after `body_grace` it must have
// averaged at least `body_min_rate` bytes a second since the grace ended: having received R
// bytes, the next bytes are due by start + grace + R / rate. So a client may pause, but only
// on credit it earned by sending faster before.
//
//   BodyPace pace(timeouts, now);
//   stream.expires_at(pace.deadline(received_so_far));
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "http/runtime.hpp"

namespace weir::http {

class BodyPace {
 public:
  using Clock = std::chrono::steady_clock;

  BodyPace(const Timeouts& timeouts, Clock::time_point start)
      : start_(start),
        end_(start + timeouts.body),
        grace_(timeouts.body_grace),
        rate_(timeouts.body_min_rate) {}

  // When the connection must have received more than `received` body bytes. Pure.
  Clock::time_point deadline(std::uint64_t received) const {
    if (rate_ == 0) return end_;
    // received / rate seconds, in microseconds; received < 2^64 / 10^6 for any real body.
    const auto credit = std::chrono::microseconds(static_cast<std::int64_t>(
        std::min<std::uint64_t>(received, std::uint64_t{1} << 40) * 1'000'000 / rate_));
    return std::min(end_, start_ + grace_ + credit);
  }

 private:
  Clock::time_point start_;
  Clock::time_point end_;
  std::chrono::milliseconds grace_;
  std::uint32_t rate_;
};

}  // namespace weir::http
