// weir::RedisBanCache: the bans Redis has confirmed lately, remembered in this process so that
// a banned client's flood costs no Redis round trip per request.
//
//   weir::RedisBanCache cache(65'536);
//   if (auto until = cache.find(client, now)) refuse(until);       // no Redis
//   else ask_redis(...), then cache.remember(client, until, now);   // on a "banned" answer
//
// Only positive answers are kept, each until its ban ends or for `hold` (1 s by default),
// whichever comes first: a ban lifted through another instance can thus go on being enforced
// here for up to `hold`. "Not banned" is never kept, so a ban started anywhere is seen by the
// next request's check.
//
// Bounded: at most `capacity` clients. When full, entries past their time make room (a scan
// at most once per `hold` per shard); when none has passed, the new answer is simply not kept.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>

#include <absl/container/flat_hash_map.h>
#include <absl/synchronization/mutex.h>

#include "weir/clock.hpp"
#include "weir/ip_address.hpp"

namespace weir {

// Thread-safe: any thread may call any method; clients are spread over a few locked shards.
// Times are weir's Instants; an entry is trusted only between the moment it was stored and its
// end, so a wall clock stepped backwards makes entries stale rather than longer-lived.
class RedisBanCache {
 public:
  static constexpr Duration kDefaultHold = std::chrono::seconds(1);

  explicit RedisBanCache(std::size_t capacity, Duration hold = kDefaultHold);

  // The end of `client`'s ban, when a fresh answer says it is banned at `now`.
  std::optional<Instant> find(const IpAddress& client, Instant now) const;

  // Redis said at `now` that `client` is banned until `until`.
  void remember(const IpAddress& client, Instant until, Instant now);

  // The ban was lifted: forget it at once.
  void forget(const IpAddress& client);

  std::size_t size() const;

 private:
  struct Entry {
    Instant until;   // end of the ban
    Instant stored;  // when Redis said so
    Instant fresh;   // trusted until min(until, stored + hold)
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<IpAddress, Entry> entries ABSL_GUARDED_BY(mu);
    std::optional<Instant> last_scan ABSL_GUARDED_BY(mu);
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_for(const IpAddress& client) const;

  const std::size_t per_shard_;
  const Duration hold_;
  std::unique_ptr<std::array<Shard, kShards>> shards_;
};

}  // namespace weir
