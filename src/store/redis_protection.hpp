// weir::RedisProtection: the Redis store's bans and dynamic blocks, kept in Redis so that every
// weir instance sharing it bans and blocks the same clients.
//
// Each operation is one script call (redis_protection_scripts.hpp) sent through the store's
// connections, pipelined with decisions, timed by the server's clock. Replies carry durations
// ("this much left"); they become Instants on this process's clock as they arrive.
//
//   weir::RedisProtection protection(options, local, sender, clock);
//   protection.check_ban(client, [](std::optional<weir::Instant> until) { ... });
//
// A ban is kept in two places, because Redis Cluster lets a script touch one slot only: the
// client's own key (counted and checked atomically, on the request path) and an index of the
// bans in force (for listing). The index is updated by a second call once a ban has started
// or been lifted, and the operation answers after both; were weir to stop between the two, the
// index would miss that ban (or list a lifted one) until the ban's end, while enforcement,
// which reads the client's key, stays exact.
//
// When Redis cannot answer (down, too slow, circuit breaker open, an unusable reply):
//   - with on_error "local", the ban operations (check, record, list, lift) are answered by the
//     embedded store, as decisions are: each instance then bans on its own, and those bans are
//     not seen by the others nor, once Redis is back, by anyone;
//   - otherwise bans fail open: check_ban and record_rejection answer nullopt, list_bans
//     nullopt and lift_ban false;
//   - blocks never fall back: put_block and remove_block answer false, list_blocks nullopt
//     (servers keep enforcing their last copy).
//
// Thread-safe. `options`, `local`, `sender` and `clock` must outlive it, and so must it every
// call in flight: destroy it only once no thread runs the io_contexts its calls answer on.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "store/redis_ban_cache.hpp"
#include "store/redis_call.hpp"
#include "store/redis_store_options.hpp"
#include "weir/store.hpp"

namespace weir {

class RedisProtection {
 public:
  // Networks held at once, as the embedded store (a few are expected: list_blocks reads them
  // all, from every instance, once a second).
  static constexpr std::size_t kMaxBlocks = 100'000;
  // Banned clients remembered locally (see RedisBanCache): about 3 MB when full.
  static constexpr std::size_t kCachedBans = 65'536;

  RedisProtection(const RedisStoreOptions& options, Store& local, RedisCallSender& sender,
                  const Clock& clock);

  // As weir::Store's operations of the same names.
  void check_ban(const IpAddress& client, Store::BanCallback done);
  void record_rejection(const IpAddress& client, const BanPolicy& policy, Store::BanCallback done);
  void list_bans(std::size_t max, absl::AnyInvocable<void(std::optional<BanList>) &&> done);
  void lift_ban(const IpAddress& client, Store::ChangeCallback done);
  void put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done);
  void remove_block(const Cidr& network, Store::ChangeCallback done);
  void list_blocks(absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done);

 private:
  bool local_fallback() const { return options_.on_error == RedisFailurePolicy::kLocal; }

  const RedisStoreOptions& options_;
  Store& local_;
  RedisCallSender& sender_;
  const Clock& clock_;
  RedisBanCache cache_;
};

}  // namespace weir
