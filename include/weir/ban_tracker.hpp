// weir::BanTracker: counts each client's rate-limit rejections and bans those that reach the
// policy's threshold, doubling the ban on each repeat. Pure logic on explicit instants; the
// MemoryStore keeps several of these (one per shard) under locks.
//
//   weir::BanTracker bans(100'000);
//   if (auto until = bans.banned_until(client, now)) reply_403();
//   if (auto until = bans.record_rejection(client, policy, now)) log_new_ban(*until);
//
// Memory is bounded: at most `capacity` clients are tracked. A client is forgotten once it is
// neither banned nor counting strikes and has been clean for max_duration since its last ban
// ended, so a later offence starts again from the first ban length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "weir/ban_policy.hpp"

namespace weir {

// Not thread-safe.
class BanTracker {
 public:
  // Tracks at most `capacity` clients (0 is taken as 1).
  explicit BanTracker(std::size_t capacity);

  // When `client` is banned at `now`, the end of the ban.
  std::optional<Instant> banned_until(const IpAddress& client, Instant now) const;

  // Counts one rate-limit rejection of `client`. Returns the end of the ban when this rejection
  // starts one, else nullopt (also while the client is already banned). When the tracker is
  // full and nothing can be dropped, a new client's rejection is not counted: clients already
  // tracked keep their counts, and the rate limits still apply to everyone.
  std::optional<Instant> record_rejection(const IpAddress& client, const BanPolicy& policy,
                                          Instant now);

  // Ends the client's ban and forgets its history. True when a ban was in force at `now`.
  bool lift(const IpAddress& client, Instant now);

  // Bans in force at `now`: the count, and at most `max` of them.
  BanList active(Instant now, std::size_t max) const;

  // Drops clients with nothing left to remember at `now` under `policy`. Returns how many.
  std::size_t sweep(const BanPolicy& policy, Instant now);

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    Instant window_start;  // first rejection of the current count
    std::uint32_t strikes = 0;
    Instant ban_until;  // in the past when not banned
    Duration ban_length{0};
    std::uint32_t bans = 0;  // bans so far
  };

  static bool forgettable(const Entry& e, const BanPolicy& policy, Instant now);

  std::size_t capacity_;
  absl::flat_hash_map<IpAddress, Entry> entries_;
  // When full, a sweep runs at most once per kFullSweepInterval, so a flood of new offenders
  // costs a hash lookup each, not a scan each.
  static constexpr Duration kFullSweepInterval = std::chrono::seconds(1);
  std::optional<Instant> last_full_sweep_;
};

}  // namespace weir
