#include "http/protection.hpp"

#include <absl/hash/hash.h>

#include "metrics/registry.hpp"

namespace weir::http {

namespace {
// Rules come from the configuration, so the series are few; the bound only guards against a
// configuration with thousands of routes.
constexpr std::size_t kMaxShadowSeries = 1000;
}  // namespace

Protection::Protection(metrics::Registry& registry)
    : connections_(std::make_unique<ConnectionShard[]>(kConnectionShards)),
      blocks_(std::make_shared<CidrSet>()),
      top_(kTopClients),
      shadow_rejections_(registry.counter_family(
          "weir_shadow_rejections_total",
          "Requests a rule in shadow mode would have rejected, by rule; they were admitted.",
          {"rule"}, kMaxShadowSeries)),
      bans_started_(registry.counter("weir_bans_total", "Client bans started.")),
      bans_active_(registry.gauge("weir_bans_active", "Client bans in force.")),
      dynamic_blocks_(registry.gauge("weir_dynamic_blocks",
                                     "Networks blocked through the admin API, in force.")),
      in_flight_(registry.gauge("weir_in_flight_requests",
                                "Requests being handled now (compared with max_in_flight).")) {}

Protection::ConnectionShard& Protection::shard_for(const IpAddress& client) {
  return connections_[absl::Hash<IpAddress>{}(client) % kConnectionShards];
}

bool Protection::open_connection(const IpAddress& client, std::uint32_t per_ip) {
  ConnectionShard& shard = shard_for(client);
  absl::MutexLock lock(&shard.mu);
  std::uint32_t& open = shard.open[client];
  if (per_ip != 0 && open >= per_ip) {
    if (open == 0) shard.open.erase(client);
    return false;
  }
  ++open;
  return true;
}

void Protection::close_connection(const IpAddress& client) {
  ConnectionShard& shard = shard_for(client);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.open.find(client);
  if (it == shard.open.end()) return;
  if (--it->second == 0) shard.open.erase(it);
}

void Protection::set_blocks(const std::vector<DynamicBlock>& blocks) {
  auto set = std::make_shared<CidrSet>();
  for (const DynamicBlock& block : blocks)
    set->insert(block.network);
  dynamic_blocks_.set(static_cast<std::int64_t>(set->size()));
  {
    absl::MutexLock lock(&blocks_mu_);
    blocks_ = std::move(set);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const CidrSet> Protection::blocks() const {
  absl::MutexLock lock(&blocks_mu_);
  return blocks_;
}

void Protection::count_shadow_rejection(const IpAddress& client, std::string_view rule) {
  shadow_rejections_.with({rule}).inc();
  absl::MutexLock lock(&top_mu_);
  top_.add(client);
}

std::vector<SpaceSaving::Entry> Protection::top(std::size_t n, std::uint64_t* total) const {
  absl::MutexLock lock(&top_mu_);
  if (total != nullptr) *total = top_.total();
  return top_.top(n);
}

}  // namespace weir::http
