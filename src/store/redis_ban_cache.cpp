#include "store/redis_ban_cache.hpp"

#include <absl/hash/hash.h>

#include <algorithm>

namespace weir {

RedisBanCache::RedisBanCache(std::size_t capacity, Duration hold)
    : per_shard_(std::max<std::size_t>(1, (capacity + kShards - 1) / kShards)),
      hold_(hold),
      shards_(std::make_unique<std::array<Shard, kShards>>()) {}

RedisBanCache::Shard& RedisBanCache::shard_for(const IpAddress& client) const {
  return (*shards_)[absl::Hash<IpAddress>{}(client) % kShards];
}

std::optional<Instant> RedisBanCache::find(const IpAddress& client, Instant now) const {
  Shard& shard = shard_for(client);
  absl::MutexLock lock(&shard.mu);
  const auto it = shard.entries.find(client);
  if (it == shard.entries.end()) return std::nullopt;
  const Entry& e = it->second;
  if (now < e.stored || now >= e.fresh) return std::nullopt;
  return e.until;
}

void RedisBanCache::remember(const IpAddress& client, Instant until, Instant now) {
  if (until <= now) return;
  const Entry entry{until, now, std::min(until, now + hold_)};

  Shard& shard = shard_for(client);
  absl::MutexLock lock(&shard.mu);
  auto& entries = shard.entries;
  if (const auto it = entries.find(client); it != entries.end()) {
    it->second = entry;
    return;
  }
  if (entries.size() >= per_shard_ &&
      (!shard.last_scan || now - *shard.last_scan >= hold_ || now < *shard.last_scan)) {
    // A flood of banned clients fills the shard once per `hold` at most: scan that often.
    shard.last_scan = now;
    absl::erase_if(entries, [now](const auto& item) {
      return now < item.second.stored || now >= item.second.fresh;
    });
  }
  if (entries.size() >= per_shard_) return;
  entries.emplace(client, entry);
}

void RedisBanCache::forget(const IpAddress& client) {
  Shard& shard = shard_for(client);
  absl::MutexLock lock(&shard.mu);
  shard.entries.erase(client);
}

std::size_t RedisBanCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : *shards_) {
    absl::MutexLock lock(&shard.mu);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace weir
