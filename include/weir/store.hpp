// weir::Store: where rate-limit state lives.
//
// The embedded MemoryStore answers at once; a remote store (Redis) answers later. Callers try
// the synchronous path first and fall back to the asynchronous one:
//
//   if (auto d = store.try_decide(key, limit)) use(*d);
//   else store.decide(key, limit, [](weir::StoreResult r) { use(r); });
//
// Stores also keep bans (clients that keep getting rate-limited) and dynamic blocks (networks
// an operator blocks at run time), so that several weir instances sharing a Redis share them.
// Those operations all answer through a callback, under the same rule as decide(): called
// exactly once, possibly before returning, and by a remote store on the executor of the
// calling thread. The base class's versions keep nothing (supports_protection() is false).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <absl/functional/any_invocable.h>

#include "weir/ban_policy.hpp"
#include "weir/cidr.hpp"
#include "weir/decision.hpp"
#include "weir/dynamic_block.hpp"
#include "weir/limit.hpp"
#include "weir/rate_key.hpp"

namespace weir {

struct StoreResult {
  Decision decision;
  // True when the store could not decide (a remote store down and the failure policy says to
  // refuse). The caller answers 503; `decision.retry_after` says when to try again.
  bool unavailable = false;
};

// Implementations are thread-safe: any thread may call any method concurrently.
class Store {
 public:
  using Callback = absl::AnyInvocable<void(StoreResult) &&>;

  virtual ~Store() = default;

  // Counts one request for `key` under `limit` and decides it, when this can be done without
  // waiting. Returns nullopt when the store must wait (a remote store), and then counts nothing.
  virtual std::optional<StoreResult> try_decide(const RateKey& key, const Limit& limit) = 0;

  // Counts and decides, calling `done` exactly once, possibly before returning. A remote store
  // calls it on the executor of the thread that called decide().
  virtual void decide(const RateKey& key, const Limit& limit, Callback done) = 0;

  // Number of keys currently held (for metrics and tests); may be approximate.
  virtual std::size_t size() const = 0;

  // True when the store keeps bans and dynamic blocks. When false the operations below answer
  // "not banned", start no ban, and answer every change with nullopt.
  virtual bool supports_protection() const { return false; }

  // ---- Bans (weir/ban_policy.hpp). `client` is the client key (Limiter's key_of). A remote
  // store that cannot answer in time calls done(nullopt): bans fail open.
  using BanCallback = absl::AnyInvocable<void(std::optional<Instant>) &&>;

  // done(end of the ban) when `client` is banned now, else done(nullopt). On the request path.
  virtual void check_ban(const IpAddress& client, BanCallback done);

  // Counts one rate-limit rejection of `client` under `policy`; done(end of the ban) when this
  // rejection started a ban, else done(nullopt). On the request path, only for rejected ones.
  virtual void record_rejection(const IpAddress& client, const BanPolicy& policy, BanCallback done);

  // done(the bans in force: their total count and at most `max` of them); nullopt when the
  // store cannot answer.
  virtual void list_bans(std::size_t max, absl::AnyInvocable<void(std::optional<BanList>) &&> done);

  // The answer to a change: true when it was made, false when there was nothing to change,
  // nullopt when the store could not answer (the change may or may not have been made).
  using ChangeCallback = absl::AnyInvocable<void(std::optional<bool>) &&>;

  // Ends `client`'s ban and forgets its strikes and past bans. done(true) when a ban was in
  // force.
  virtual void lift_ban(const IpAddress& client, ChangeCallback done);

  // ---- Dynamic blocks (weir/dynamic_block.hpp): networks refused until removed or expired.
  // Servers read them with list_blocks() periodically and match locally, so matching costs
  // no store round trip per request.

  // Adds the block, or replaces the expiry of the same network. done(true) once stored.
  virtual void put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done);

  // done(true) when the network was blocked (and now is not).
  virtual void remove_block(const Cidr& network, ChangeCallback done);

  // done(the blocks not expired at the store's time), nullopt when the store cannot answer.
  virtual void list_blocks(
      absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done);
};

inline void Store::check_ban(const IpAddress&, BanCallback done) {
  std::move(done)(std::nullopt);
}
inline void Store::record_rejection(const IpAddress&, const BanPolicy&, BanCallback done) {
  std::move(done)(std::nullopt);
}
inline void Store::list_bans(std::size_t,
                             absl::AnyInvocable<void(std::optional<BanList>) &&> done) {
  std::move(done)(std::nullopt);
}
inline void Store::lift_ban(const IpAddress&, ChangeCallback done) {
  std::move(done)(std::nullopt);
}
inline void Store::put_block(const DynamicBlock&, absl::AnyInvocable<void(bool) &&> done) {
  std::move(done)(false);
}
inline void Store::remove_block(const Cidr&, ChangeCallback done) {
  std::move(done)(std::nullopt);
}
inline void Store::list_blocks(
    absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done) {
  std::move(done)(std::nullopt);
}

}  // namespace weir
