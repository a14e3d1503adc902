// weir::http::Protection: the state the DDoS defences share across worker threads: open
// connections per client address, the snapshot of dynamic blocks, the heavy hitters of shadow
// rejections, and the metrics of each mechanism.
//
//   Protection protection(registry);
//   if (!protection.open_connection(key, per_ip)) close_now();
//   ...
//   protection.close_connection(key);
//
// Every method is thread-safe. Locks are held for a hash lookup at most; the dynamic block
// snapshot is read through a generation number, so workers take the lock only when it changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/synchronization/mutex.h>

#include "metrics/counter.hpp"
#include "metrics/family.hpp"
#include "metrics/gauge.hpp"
#include "weir/cidr_set.hpp"
#include "weir/dynamic_block.hpp"
#include "weir/space_saving.hpp"

namespace weir::metrics {
class Registry;
}

namespace weir::http {

class Protection {
 public:
  // Counters kept for the shadow heavy hitters (GET /admin/top).
  static constexpr std::size_t kTopClients = 256;

  // Registers the protection metrics (docs/metrics.md); `registry` outlives this.
  explicit Protection(metrics::Registry& registry);

  // Counts one more open connection for `client` unless it already holds `per_ip` (0: no
  // limit). True when the connection may stay; then close_connection() must follow.
  bool open_connection(const IpAddress& client, std::uint32_t per_ip);
  void close_connection(const IpAddress& client);

  // Replaces the dynamic block snapshot (from Store::list_blocks).
  void set_blocks(const std::vector<DynamicBlock>& blocks);
  // Changes whenever the snapshot does; a worker caches blocks() until it moves.
  std::uint64_t blocks_generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const CidrSet> blocks() const;

  // A request a shadow rule would have rejected: counted per rule, and its client noted.
  void count_shadow_rejection(const IpAddress& client, std::string_view rule);
  // The clients shadow rules would have rejected most, highest first, and the total noted.
  std::vector<SpaceSaving::Entry> top(std::size_t n, std::uint64_t* total = nullptr) const;

  void count_ban_started() { bans_started_.inc(); }
  void set_bans_active(std::int64_t n) { bans_active_.set(n); }
  metrics::Gauge& in_flight() { return in_flight_; }

 private:
  static constexpr std::size_t kConnectionShards = 16;
  struct ConnectionShard {
    absl::Mutex mu;
    absl::flat_hash_map<IpAddress, std::uint32_t> open ABSL_GUARDED_BY(mu);
  };
  ConnectionShard& shard_for(const IpAddress& client);

  std::unique_ptr<ConnectionShard[]> connections_;

  mutable absl::Mutex blocks_mu_;
  std::shared_ptr<const CidrSet> blocks_ ABSL_GUARDED_BY(blocks_mu_);
  std::atomic<std::uint64_t> generation_{0};

  mutable absl::Mutex top_mu_;
  SpaceSaving top_ ABSL_GUARDED_BY(top_mu_);

  metrics::Family<metrics::Counter>& shadow_rejections_;
  metrics::Counter& bans_started_;
  metrics::Gauge& bans_active_;
  metrics::Gauge& dynamic_blocks_;
  metrics::Gauge& in_flight_;
};

}  // namespace weir::http
