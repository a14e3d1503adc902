#include "weir/ban_tracker.hpp"

#include <algorithm>

namespace weir {

BanTracker::BanTracker(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

std::optional<Instant> BanTracker::banned_until(const IpAddress& client, Instant now) const {
  auto it = entries_.find(client);
  if (it == entries_.end() || it->second.ban_until <= now) return std::nullopt;
  return it->second.ban_until;
}

std::optional<Instant> BanTracker::record_rejection(const IpAddress& client,
                                                    const BanPolicy& policy, Instant now) {
  auto it = entries_.find(client);
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_ &&
        (!last_full_sweep_ || now - *last_full_sweep_ >= kFullSweepInterval)) {
      last_full_sweep_ = now;
      sweep(policy, now);
    }
    if (entries_.size() >= capacity_) return std::nullopt;
    it = entries_.emplace(client, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.ban_until > now) return std::nullopt;

  // A fixed window opened by the first rejection: cheap, and exact enough for deciding that a
  // client keeps hitting its limit.
  if (e.strikes == 0 || now - e.window_start >= policy.within) {
    e.window_start = now;
    e.strikes = 0;
  }
  if (++e.strikes < policy.after) return std::nullopt;

  e.strikes = 0;
  e.ban_length = policy.length(e.bans);
  e.ban_until = now + e.ban_length;
  ++e.bans;
  return e.ban_until;
}

bool BanTracker::lift(const IpAddress& client, Instant now) {
  auto it = entries_.find(client);
  if (it == entries_.end()) return false;
  const bool banned = it->second.ban_until > now;
  entries_.erase(it);
  return banned;
}

BanList BanTracker::active(Instant now, std::size_t max) const {
  BanList list;
  for (const auto& [client, e] : entries_) {
    if (e.ban_until <= now) continue;
    ++list.total;
    if (list.bans.size() < max) list.bans.push_back({client, e.ban_until, e.ban_length, e.bans});
  }
  return list;
}

bool BanTracker::forgettable(const Entry& e, const BanPolicy& policy, Instant now) {
  if (e.ban_until > now) return false;
  if (e.strikes > 0 && now - e.window_start < policy.within) return false;
  // Remember past bans for max_duration after the last ended, so that a quick repeat offence
  // is banned for longer.
  return e.bans == 0 || now - e.ban_until >= policy.max_duration;
}

std::size_t BanTracker::sweep(const BanPolicy& policy, Instant now) {
  return absl::erase_if(entries_,
                        [&](const auto& item) { return forgettable(item.second, policy, now); });
}

}  // namespace weir
