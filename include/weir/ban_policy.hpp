// weir::BanPolicy: when a client that keeps getting rate-limited is banned, and for how long;
// weir::BanEntry and weir::BanList: a ban as stores report it.
//
//   weir::BanPolicy policy{.after = 5, .within = std::chrono::seconds(60),
//                          .duration = std::chrono::minutes(10),
//                          .max_duration = std::chrono::hours(24)};
//   policy.length(0);  // 10 min: the first ban
//   policy.length(3);  // 80 min: the fourth, doubled three times
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "weir/clock.hpp"
#include "weir/ip_address.hpp"

namespace weir {

struct BanPolicy {
  std::uint32_t after = 5;  // rate-limit rejections that start a ban, >= 1
  // The rejections must fall within this long of the first one counted; the count then
  // starts again from the next rejection.
  Duration within = std::chrono::seconds(60);
  Duration duration = std::chrono::minutes(10);    // the first ban
  Duration max_duration = std::chrono::hours(24);  // cap of the doubling, >= duration

  // The length of a ban that follows `previous_bans` earlier ones: duration doubled that many
  // times, at most max_duration. Never overflows.
  Duration length(std::uint32_t previous_bans) const {
    Duration d = duration;
    for (std::uint32_t i = 0; i < previous_bans && d < max_duration; ++i)
      d *= 2;
    return d < max_duration ? d : max_duration;
  }

  friend bool operator==(const BanPolicy&, const BanPolicy&) = default;
};

struct BanEntry {
  IpAddress client;        // the client key (IPv6 masked to the configured prefix)
  Instant until;           // the ban ends here
  Duration length{0};      // how long this ban was set for
  std::uint32_t bans = 0;  // how many bans this client has had, this one included

  friend bool operator==(const BanEntry&, const BanEntry&) = default;
};

// Active bans: `total` of them, of which `bans` holds at most the number asked for.
struct BanList {
  std::vector<BanEntry> bans;
  std::size_t total = 0;
};

}  // namespace weir
