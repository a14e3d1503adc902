#include "weir/memory_store.hpp"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "weir/ban_tracker.hpp"
#include "weir/gcra.hpp"
#include "weir/sliding_counter.hpp"
#include "weir/sliding_log.hpp"

namespace weir {
namespace {

constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();
// Slot and limit indices are 24 bits wide (so a slot stays 48 bytes); the top value marks a
// free slot.
constexpr std::uint32_t kFreeLimit = (1u << 24) - 1;
constexpr std::size_t kMaxShardKeys = kFreeLimit;
// How many slots a new key looks at for expired state before evicting the least recently used
// key. Bounds the cost of an insertion into a full shard.
constexpr std::size_t kEvictionScan = 16;
// When every key is live, the victim is the lightest of this many least recently used keys.
constexpr std::size_t kEvictionSample = 8;
constexpr std::uint32_t kMaxHits = 15;
constexpr std::size_t kMaxAutoShards = 64;
constexpr std::size_t kKeysPerAutoShard = 1024;

// One key's entry. The algorithm state is a union, since a shard mixes keys of every rule.
struct Slot {
  union {
    Gcra gcra;
    SlidingCounter counter;
    SlidingLog log;
  };
  RateKey key;
  std::uint32_t prev = kNil;  // towards the most recently used
  std::uint32_t next = kNil;  // towards the least recently used; the free list when free
  std::uint32_t limit_id : 24;
  std::uint32_t algorithm : 4;
  // Requests counted for this key, saturating at 15: how much would be lost by evicting it.
  std::uint32_t hits : 4;

  Slot()
      : gcra(),
        limit_id(kFreeLimit),
        algorithm(static_cast<std::uint32_t>(Algorithm::kGcra)),
        hits(0) {}
  Slot(Slot&& other) noexcept
      : key(other.key),
        prev(other.prev),
        next(other.next),
        limit_id(other.limit_id),
        algorithm(other.algorithm),
        hits(other.hits) {
    switch (kind()) {
      case Algorithm::kGcra:
        new (&gcra) Gcra(other.gcra);
        break;
      case Algorithm::kSlidingCounter:
        new (&counter) SlidingCounter(other.counter);
        break;
      case Algorithm::kSlidingLog:
        new (&log) SlidingLog(std::move(other.log));
        break;
    }
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  Slot& operator=(Slot&&) = delete;
  ~Slot() { destroy(); }

  Algorithm kind() const { return static_cast<Algorithm>(algorithm); }

  // Replaces the state with an empty one of `next_kind`.
  void start(Algorithm next_kind) {
    destroy();
    algorithm = static_cast<std::uint32_t>(next_kind);
    switch (next_kind) {
      case Algorithm::kGcra:
        new (&gcra) Gcra();
        break;
      case Algorithm::kSlidingCounter:
        new (&counter) SlidingCounter();
        break;
      case Algorithm::kSlidingLog:
        new (&log) SlidingLog();
        break;
    }
  }

  Decision decide(const Limit& limit, Instant now) {
    switch (kind()) {
      case Algorithm::kGcra:
        return gcra.decide(limit, now);
      case Algorithm::kSlidingCounter:
        return counter.decide(limit, now);
      case Algorithm::kSlidingLog:
        return log.decide(limit, now);
    }
    return Decision{};
  }

  Instant expires_at(const Limit& limit) const {
    switch (kind()) {
      case Algorithm::kGcra:
        return gcra.expires_at(limit);
      case Algorithm::kSlidingCounter:
        return counter.expires_at(limit);
      case Algorithm::kSlidingLog:
        return log.expires_at(limit);
    }
    return Instant{};
  }

 private:
  void destroy() {
    if (kind() == Algorithm::kSlidingLog) log.~SlidingLog();
  }
};

static_assert(sizeof(Slot) == 48, "a key's slot is part of the per-key memory budget");

// The hash index stores slot numbers only; hashing and comparing look through to the slot's key,
// so each key is stored once. Both accept a RateKey directly for lookups.
struct SlotHash {
  using is_transparent = void;
  const std::vector<Slot>* slots;

  std::size_t operator()(std::uint32_t slot) const { return (*this)((*slots)[slot].key); }
  std::size_t operator()(const RateKey& key) const { return absl::Hash<RateKey>{}(key); }
};

struct SlotEq {
  using is_transparent = void;
  const std::vector<Slot>* slots;

  bool operator()(std::uint32_t a, std::uint32_t b) const { return a == b; }
  bool operator()(std::uint32_t slot, const RateKey& key) const {
    return (*slots)[slot].key == key;
  }
  bool operator()(const RateKey& key, std::uint32_t slot) const { return (*this)(slot, key); }
};

struct LimitHash {
  std::size_t operator()(const Limit& limit) const {
    return absl::Hash<std::tuple<int, std::uint32_t, std::int64_t, std::uint32_t>>{}(std::tuple(
        static_cast<int>(limit.algorithm), limit.requests, limit.window.count(), limit.burst));
  }
};

}  // namespace

// A slice of the keys with its own lock. Keys live in a slot array threaded by an intrusive
// doubly linked list in recency order (exact LRU) and found through a hash index of slot
// numbers. Each slot refers to its limit by a small id into a table of the shard's distinct
// limits, reference-counted so the table holds only limits some key still uses.
class alignas(64) MemoryStore::Shard {
 public:
  Shard() : index_(0, SlotHash{&slots_}, SlotEq{&slots_}) {}
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  void set_capacity(std::size_t capacity) { capacity_ = capacity; }

  Decision decide(const RateKey& key, const Limit& limit, Instant now) {
    std::lock_guard lock(mu_);

    std::uint32_t slot;
    if (auto it = index_.find(key); it != index_.end()) {
      slot = *it;
      Slot& s = slots_[slot];
      if (limits_[s.limit_id].limit != limit) {
        // A reload changed this key's rule: its old counts mean nothing under the new one.
        release_limit(s.limit_id);
        s.limit_id = acquire_limit(limit);
        s.start(limit.algorithm);
        s.hits = 0;
      }
      if (s.hits < kMaxHits) ++s.hits;
      unlink(slot);
    } else {
      if (live_.load(std::memory_order_relaxed) >= capacity_) make_room(now);
      slot = allocate();
      Slot& s = slots_[slot];
      s.key = key;
      s.limit_id = acquire_limit(limit);
      s.start(limit.algorithm);
      s.hits = 1;
      index_.insert(slot);
      live_.fetch_add(1, std::memory_order_relaxed);
    }
    link_front(slot);

    return slots_[slot].decide(limit, now);
  }

  // Examines up to `budget` slots from the sweep hand, dropping expired keys. Returns
  // {dropped, examined}.
  std::pair<std::size_t, std::size_t> sweep(Instant now, std::size_t budget) {
    std::lock_guard lock(mu_);
    return scan(now, budget);
  }

  std::size_t size() const { return live_.load(std::memory_order_relaxed); }

 private:
  struct LimitEntry {
    Limit limit;
    std::uint32_t refs = 0;
  };

  bool expired(std::uint32_t slot, Instant now) const {
    const Slot& s = slots_[slot];
    return s.limit_id != kFreeLimit && s.expires_at(limits_[s.limit_id].limit) <= now;
  }

  // Frees one slot for a new key: expired state first (the least recently used key is the
  // likeliest to have expired, then a short scan from the sweep hand), else the key with the
  // fewest requests counted among the few least recently used. Under a flood of one-off
  // identities, the tail fills with keys of one request each; preferring them keeps a client
  // with several requests counted (whose loss would hand it a fresh budget) even when it is
  // briefly the least recently used.
  //
  // Shortcoming: with rules of very different windows, an expired key outside the scanned
  // slots may outlive a live least recently used key until the scan or the periodic sweep
  // reaches it. Finding every expired key at once would need an expiry-ordered index, which
  // would cost more memory per key than the whole slot.
  void make_room(Instant now) {
    if (tail_ != kNil && expired(tail_, now)) {
      drop(tail_);
      return;
    }
    if (scan(now, kEvictionScan).first > 0) return;

    std::uint32_t victim = tail_;
    std::uint32_t slot = tail_;
    for (std::size_t i = 0; i < kEvictionSample && slot != kNil; ++i, slot = slots_[slot].prev) {
      if (slots_[slot].hits < slots_[victim].hits) victim = slot;
    }
    drop(victim);
  }

  std::pair<std::size_t, std::size_t> scan(Instant now, std::size_t budget) {
    const std::size_t n = std::min(budget, slots_.size());
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (hand_ >= slots_.size()) hand_ = 0;
      const auto slot = static_cast<std::uint32_t>(hand_++);
      if (expired(slot, now)) {
        drop(slot);
        ++dropped;
      }
    }
    return {dropped, n};
  }

  std::uint32_t allocate() {
    if (free_ != kNil) {
      const std::uint32_t slot = free_;
      free_ = slots_[slot].next;
      return slot;
    }
    // Grow by doubling, but never past the shard's bound, so a full shard wastes nothing.
    // Shortcoming: neither the slot array nor the index shrinks after a peak; freed slots are
    // reused, so memory stays at the high-water mark, which max_keys bounds.
    if (slots_.size() == slots_.capacity()) {
      slots_.reserve(std::min(std::max<std::size_t>(16, slots_.capacity() * 2), capacity_));
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  void drop(std::uint32_t slot) {
    index_.erase(slot);
    unlink(slot);
    Slot& s = slots_[slot];
    release_limit(s.limit_id);
    s.limit_id = kFreeLimit;
    s.start(Algorithm::kGcra);  // frees a sliding log's buffer
    s.next = free_;
    free_ = slot;
    live_.fetch_sub(1, std::memory_order_relaxed);
  }

  void unlink(std::uint32_t slot) {
    Slot& s = slots_[slot];
    if (s.prev != kNil) {
      slots_[s.prev].next = s.next;
    } else {
      head_ = s.next;
    }
    if (s.next != kNil) {
      slots_[s.next].prev = s.prev;
    } else {
      tail_ = s.prev;
    }
    s.prev = s.next = kNil;
  }

  void link_front(std::uint32_t slot) {
    Slot& s = slots_[slot];
    s.prev = kNil;
    s.next = head_;
    if (head_ != kNil) slots_[head_].prev = slot;
    head_ = slot;
    if (tail_ == kNil) tail_ = slot;
  }

  std::uint32_t acquire_limit(const Limit& limit) {
    auto [it, inserted] = limit_ids_.try_emplace(limit, 0);
    if (inserted) {
      if (!free_limits_.empty()) {
        it->second = free_limits_.back();
        free_limits_.pop_back();
        limits_[it->second] = LimitEntry{limit, 0};
      } else {
        // Never more ids than live keys, and a shard holds at most kMaxShardKeys.
        it->second = static_cast<std::uint32_t>(limits_.size());
        limits_.push_back(LimitEntry{limit, 0});
      }
    }
    ++limits_[it->second].refs;
    return it->second;
  }

  void release_limit(std::uint32_t id) {
    LimitEntry& entry = limits_[id];
    if (--entry.refs == 0) {
      limit_ids_.erase(entry.limit);
      free_limits_.push_back(id);
    }
  }

  // std::mutex rather than absl::Mutex: the system's Abseil is not built for ThreadSanitizer,
  // which would then not see the lock.
  std::mutex mu_;
  std::size_t capacity_ = 0;
  std::vector<Slot> slots_;
  absl::flat_hash_set<std::uint32_t, SlotHash, SlotEq> index_;
  std::uint32_t head_ = kNil;  // most recently used
  std::uint32_t tail_ = kNil;  // least recently used
  std::uint32_t free_ = kNil;  // free slots, linked through `next`
  std::size_t hand_ = 0;       // where the next scan for expired keys starts
  std::vector<LimitEntry> limits_;
  std::vector<std::uint32_t> free_limits_;
  absl::flat_hash_map<Limit, std::uint32_t, LimitHash> limit_ids_;
  // Written under mu_, read without it by size().
  std::atomic<std::size_t> live_{0};
};

struct MemoryStore::BanShard {
  explicit BanShard(std::size_t capacity) : tracker(capacity) {}

  absl::Mutex mu;
  BanTracker tracker ABSL_GUARDED_BY(mu);
  std::optional<BanPolicy> policy ABSL_GUARDED_BY(mu);  // the last one used, for sweeping
};

struct MemoryStore::Blocks {
  absl::Mutex mu;
  // Keyed by (network, prefix length).
  absl::flat_hash_map<std::pair<IpAddress, int>, std::optional<Instant>> by_network
      ABSL_GUARDED_BY(mu);
};

MemoryStore::MemoryStore(const Clock& clock, MemoryStoreOptions options) : clock_(clock) {
  if (options.max_keys == 0) {
    throw std::invalid_argument("memory store: max_keys must be at least 1, got 0");
  }
  if (options.shards == 0) {
    options.shards = std::clamp<std::size_t>(std::bit_floor(options.max_keys / kKeysPerAutoShard),
                                             1, kMaxAutoShards);
  }
  if (!std::has_single_bit(options.shards)) {
    throw std::invalid_argument("memory store: shards must be a power of two, got " +
                                std::to_string(options.shards));
  }

  shard_count_ = options.shards;
  shard_capacity_ = (options.max_keys + shard_count_ - 1) / shard_count_;
  if (shard_capacity_ > kMaxShardKeys) {
    throw std::invalid_argument("memory store: max_keys " + std::to_string(options.max_keys) +
                                " over " + std::to_string(shard_count_) +
                                " shards exceeds the per-shard bound of " +
                                std::to_string(kMaxShardKeys) + " keys; use more shards");
  }
  shard_shift_ = 64 - std::countr_zero(shard_count_);

  shards_ = std::make_unique<Shard[]>(shard_count_);
  for (std::size_t i = 0; i < shard_count_; ++i)
    shards_[i].set_capacity(shard_capacity_);

  const std::size_t per_ban_shard =
      std::max<std::size_t>(1, (options.max_ban_clients + kBanShards - 1) / kBanShards);
  for (std::size_t i = 0; i < kBanShards; ++i)
    ban_shards_.push_back(std::make_unique<BanShard>(per_ban_shard));
  blocks_ = std::make_unique<Blocks>();
}

MemoryStore::~MemoryStore() = default;

MemoryStore::Shard& MemoryStore::shard_for(const RateKey& key) const {
  if (shard_count_ == 1) return shards_[0];
  // The top bits: the hash index inside the shard uses the low ones.
  const std::uint64_t hash = absl::Hash<RateKey>{}(key);
  return shards_[hash >> shard_shift_];
}

std::optional<StoreResult> MemoryStore::try_decide(const RateKey& key, const Limit& limit) {
  return decide_at(key, limit, clock_.now());
}

void MemoryStore::decide(const RateKey& key, const Limit& limit, Callback done) {
  std::move(done)(decide_at(key, limit, clock_.now()));
}

StoreResult MemoryStore::decide_at(const RateKey& key, const Limit& limit, Instant now) {
  return StoreResult{shard_for(key).decide(key, limit, now), false};
}

std::size_t MemoryStore::size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shard_count_; ++i)
    total += shards_[i].size();
  return total;
}

MemoryStore::BanShard& MemoryStore::ban_shard_for(const IpAddress& client) const {
  return *ban_shards_[absl::Hash<IpAddress>{}(client) % kBanShards];
}

void MemoryStore::check_ban(const IpAddress& client, BanCallback done) {
  std::optional<Instant> until;
  {
    BanShard& shard = ban_shard_for(client);
    absl::MutexLock lock(&shard.mu);
    until = shard.tracker.banned_until(client, clock_.now());
  }
  std::move(done)(until);
}

void MemoryStore::record_rejection(const IpAddress& client, const BanPolicy& policy,
                                   BanCallback done) {
  std::optional<Instant> until;
  {
    BanShard& shard = ban_shard_for(client);
    absl::MutexLock lock(&shard.mu);
    shard.policy = policy;
    until = shard.tracker.record_rejection(client, policy, clock_.now());
  }
  std::move(done)(until);
}

void MemoryStore::list_bans(std::size_t max,
                            absl::AnyInvocable<void(std::optional<BanList>) &&> done) {
  const Instant now = clock_.now();
  BanList all;
  for (const auto& shard : ban_shards_) {
    absl::MutexLock lock(&shard->mu);
    BanList part = shard->tracker.active(now, max - all.bans.size());
    all.total += part.total;
    all.bans.insert(all.bans.end(), part.bans.begin(), part.bans.end());
  }
  std::move(done)(std::move(all));
}

void MemoryStore::lift_ban(const IpAddress& client, ChangeCallback done) {
  bool known;
  {
    BanShard& shard = ban_shard_for(client);
    absl::MutexLock lock(&shard.mu);
    known = shard.tracker.lift(client, clock_.now());
  }
  std::move(done)(known);
}

void MemoryStore::put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done) {
  bool stored = true;
  {
    absl::MutexLock lock(&blocks_->mu);
    auto& map = blocks_->by_network;
    const auto key = std::pair(block.network.network, block.network.bits);
    if (map.size() >= kMaxDynamicBlocks && !map.contains(key)) {
      stored = false;
    } else {
      map[key] = block.expires;
    }
  }
  std::move(done)(stored);
}

void MemoryStore::remove_block(const Cidr& network, ChangeCallback done) {
  bool removed;
  {
    absl::MutexLock lock(&blocks_->mu);
    removed = blocks_->by_network.erase(std::pair(network.network, network.bits)) > 0;
  }
  std::move(done)(removed);
}

void MemoryStore::list_blocks(
    absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done) {
  const Instant now = clock_.now();
  std::vector<DynamicBlock> out;
  {
    absl::MutexLock lock(&blocks_->mu);
    for (const auto& [key, expires] : blocks_->by_network) {
      if (expires && *expires <= now) continue;
      out.push_back(DynamicBlock{Cidr{key.first, key.second}, expires});
    }
  }
  std::sort(out.begin(), out.end(), [](const DynamicBlock& a, const DynamicBlock& b) {
    return std::pair(a.network.network, a.network.bits) <
           std::pair(b.network.network, b.network.bits);
  });
  std::move(done)(std::move(out));
}

std::size_t MemoryStore::sweep(Instant now, std::size_t budget) {
  for (const auto& shard : ban_shards_) {
    absl::MutexLock lock(&shard->mu);
    if (shard->policy) shard->tracker.sweep(*shard->policy, now);
  }
  {
    absl::MutexLock lock(&blocks_->mu);
    absl::erase_if(blocks_->by_network,
                   [now](const auto& item) { return item.second && *item.second <= now; });
  }

  std::size_t dropped = 0;
  for (std::size_t visited = 0; visited < shard_count_ && budget > 0; ++visited) {
    const std::size_t i = sweep_next_.fetch_add(1, std::memory_order_relaxed) & (shard_count_ - 1);
    const auto [gone, examined] = shards_[i].sweep(now, budget);
    dropped += gone;
    budget -= examined;
  }
  return dropped;
}

}  // namespace weir
