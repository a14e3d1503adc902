// weir::MemoryStore: rate-limit state held in this process, bounded in memory.
//
// Keys are spread over independently locked shards by hash, so threads deciding for different
// keys rarely contend. Each shard holds at most ceil(max_keys / shards) keys; when it is full a
// new key takes the place of state that has expired, else of the key with the fewest requests
// counted among the 8 least recently used (so one-off keys of a flood go first). A
// full store therefore never refuses a key nor lets anyone through unchecked: every key gets
// state, and the keys in active use keep theirs. A flood of one-off keys can only push out
// keys idle for longer than the flood takes to fill a shard, and even then passes over a key
// with more requests counted than a flood key has (one).
//
// Shortcoming: a client whose single counted request is older than the flood's turnover of a
// shard (shard capacity / flood rate per shard) looks like a flood key and may lose it, so it
// is admitted once more than its quota allows. Telling the two apart would need memory per
// client seen, which is what the bound exists to prevent; size max_keys for the turnover.
//
//   weir::SystemClock clock;
//   weir::MemoryStore store(clock, {.max_keys = 1'000'000});
//   weir::StoreResult r = *store.try_decide(key, limit);
//
// Bans live in a few separately locked BanTrackers, dynamic blocks in one locked map; both
// are bounded (max_ban_clients; kMaxDynamicBlocks).
//
// Memory: about 48 bytes per key in the slot array plus about 10 bytes of hash index, so under
// 64 bytes per key for gcra and sliding_counter; sliding_log keys add their ring buffer of
// timestamps (8 bytes each, at most `requests` of them) on the heap.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "weir/clock.hpp"
#include "weir/store.hpp"

namespace weir {

struct MemoryStoreOptions {
  // Most keys held at once across all shards (each shard holds ceil(max_keys / shards)).
  std::size_t max_keys = 1'000'000;
  // Number of shards, a power of two; 0 picks one from max_keys (at most 64).
  std::size_t shards = 0;
  // Clients whose rejections and bans are remembered at once (see BanTracker), spread over
  // kBanShards; at least kBanShards.
  std::size_t max_ban_clients = 100'000;
};

// Thread-safe: every method may be called from any thread concurrently.
class MemoryStore final : public Store {
 public:
  // Throws std::invalid_argument, naming the option and its value, when max_keys is 0, when
  // shards is not a power of two, or when a shard would hold more than 2^24 keys.
  MemoryStore(const Clock& clock, MemoryStoreOptions options = {});
  ~MemoryStore() override;

  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Always answers, at the clock's current time.
  std::optional<StoreResult> try_decide(const RateKey& key, const Limit& limit) override;
  // Answers inline: `done` has run when this returns.
  void decide(const RateKey& key, const Limit& limit, Callback done) override;
  // Keys held, expired ones included until swept or replaced. Exact when no call is in flight.
  std::size_t size() const override;

  // Bans and dynamic blocks, at the clock's time; every callback runs before the call returns.
  bool supports_protection() const override { return true; }
  void check_ban(const IpAddress& client, BanCallback done) override;
  void record_rejection(const IpAddress& client, const BanPolicy& policy,
                        BanCallback done) override;
  void list_bans(std::size_t max,
                 absl::AnyInvocable<void(std::optional<BanList>) &&> done) override;
  void lift_ban(const IpAddress& client, ChangeCallback done) override;
  // Refuses (done(false)) a new network when kMaxDynamicBlocks are held.
  void put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done) override;
  void remove_block(const Cidr& network, ChangeCallback done) override;
  void list_blocks(
      absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done) override;

  static constexpr std::size_t kBanShards = 16;
  static constexpr std::size_t kMaxDynamicBlocks = 100'000;

  // Counts and decides one request for `key` at an explicit time (tests, and parity checks
  // against the Redis store). A key whose stored algorithm or limit differs from `limit` (after
  // a configuration reload) starts again from empty state. Never throws, except std::bad_alloc.
  StoreResult decide_at(const RateKey& key, const Limit& limit, Instant now);

  // Drops keys whose state has expired at `now` (nothing of theirs counts any more), examining
  // at most `budget` keys; successive calls continue round the shards where the last stopped.
  // Also drops expired dynamic blocks and ban records with nothing left to remember (under the
  // policy last passed to record_rejection). Returns how many rate-limit keys were dropped.
  // Meant for a periodic timer.
  std::size_t sweep(Instant now, std::size_t budget);

  std::size_t shard_count() const { return shard_count_; }
  std::size_t shard_capacity() const { return shard_capacity_; }

 private:
  class Shard;
  struct BanShard;
  struct Blocks;

  Shard& shard_for(const RateKey& key) const;
  BanShard& ban_shard_for(const IpAddress& client) const;

  const Clock& clock_;
  std::size_t shard_count_;
  std::size_t shard_capacity_;
  int shard_shift_;  // a key's shard is the top bits of its hash
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> sweep_next_{0};  // the shard the next sweep starts in
  std::vector<std::unique_ptr<BanShard>> ban_shards_;
  std::unique_ptr<Blocks> blocks_;
};

}  // namespace weir
