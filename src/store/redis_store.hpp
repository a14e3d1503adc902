// weir::RedisStore: rate-limit state in Redis, so several weir instances enforce one limit.
//
// Each decision is one atomic Lua script on the server (EVALSHA), timed by the server's clock,
// so instances whose clocks disagree still count against one timeline. Bans and dynamic
// blocks live there too, so a client banned or blocked through one instance is refused by all.
// Requests are pipelined over a few non-blocking connections driven by Asio io_contexts (the
// server's, or the store's own); no weir thread ever waits for Redis. When Redis cannot answer in
// time, the failure policy decides (allow, deny, or a local MemoryStore enforcing each instance's
// share), and a circuit breaker keeps a dead Redis from costing a timeout per request.
//
//   std::vector<boost::asio::io_context*> contexts = ...;   // one per server thread
//   weir::MemoryStore local(clock);                         // used under on_error: local
//   weir::RedisStore store(contexts, weir::RedisStoreOptions::from_config(config.store), local);
//   // on a thread running contexts[i]:
//   store.decide(key, limit, [](weir::StoreResult r) { /* runs on contexts[i] */ });
//
// With a redis-cluster:// url the store reads the cluster's slot map and keeps
// `options.connections` connections per master; each decision goes to the master serving its
// key's slot, following MOVED and ASK redirects (see RedisClusterRouter). Decisions, stats and
// metrics are the same as against one Redis; a redirect is not counted as an outcome.
//
// Threads, with the caller's io_contexts (the first constructor; the second runs the store on
// threads of its own): `options.connections` connections are spread round-robin over them, each
// living on one io_context. decide() from a thread running one of `contexts` uses that
// context's own connections when it has any (no thread hop), and otherwise posts the request
// to another context's connection; either way `done` runs on the caller's io_context. Give
// at least as many connections as contexts to avoid hops. A thread running none of `contexts`
// may call decide() too; its `done` then runs on the connection's context.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "store/redis_store_options.hpp"
#include "weir/store.hpp"

namespace boost::asio {
class io_context;
}

namespace weir {

struct RedisStoreMetrics;

// Counters since construction. Thread-safe to read at any time.
struct RedisStoreStats {
  // Requests by how they were decided:
  std::uint64_t ok = 0;         // by Redis
  std::uint64_t errors = 0;     // by the policy: connection lost or refused, error reply
  std::uint64_t timeouts = 0;   // by the policy: no answer within options.timeout
  std::uint64_t fallbacks = 0;  // by the policy without asking Redis (circuit breaker open)
  // Writes of buffered commands to Redis sockets: the network round trips. Pipelining makes
  // this much smaller than the number of requests under concurrency.
  std::uint64_t writes = 0;
};

class RedisStore final : public Store {
 public:
  // `contexts` are not owned and must outlive the store; `local` (used under kLocal) and
  // `metrics` (may be null) too. Starts connecting at once, on the contexts. Sets SIGPIPE to
  // be ignored if it still has its default action (hiredis writes with write(2)). Throws
  // std::invalid_argument, naming the value, when `contexts` is empty or options.connections
  // or options.instances is 0.
  RedisStore(std::vector<boost::asio::io_context*> contexts, RedisStoreOptions options,
             Store& local, RedisStoreMetrics* metrics = nullptr);
  // Runs the connections on `io_threads` threads of the store's own, for a caller whose
  // threads the store cannot share (the HTTP server keeps its io_contexts to itself). Every
  // request then changes thread twice, and `done` runs on one of the store's threads.
  RedisStore(RedisStoreOptions options, Store& local, RedisStoreMetrics* metrics = nullptr,
             unsigned io_threads = 1);

  // Closes the connections (after stopping and joining the store's own threads, if any). With
  // the caller's contexts: call it once no thread runs them any more (stopped, joined) and
  // before they are destroyed. Callbacks of requests still in flight are dropped.
  ~RedisStore() override;

  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  // Answers at once only while the circuit breaker is open (the policy decides without
  // Redis); otherwise nullopt, counting nothing.
  std::optional<StoreResult> try_decide(const RateKey& key, const Limit& limit) override;
  // Asks Redis, timed by the server's clock; `done` runs once, on the caller's io_context, or
  // inline when the policy decides without Redis. Never throws, except std::bad_alloc.
  void decide(const RateKey& key, const Limit& limit, Callback done) override;
  // Keys live in Redis, where INFO keyspace counts them: always 0 here.
  std::size_t size() const override { return 0; }

  // As decide(), but at `at` instead of the server's TIME: for tests and for checking that
  // Redis and MemoryStore::decide_at agree. Keys written this way get no TTL (Redis would
  // expire them by its own clock, not by `at`), so never use it for production traffic.
  void decide_at(const RateKey& key, const Limit& limit, Instant at, Callback done);

  // Bans and dynamic blocks, kept in Redis so that every instance sharing it bans and blocks
  // the same clients (see RedisProtection for the keys, the local cache of bans, and what
  // happens while Redis cannot answer). Callbacks run as decide()'s do: on the caller's
  // io_context, or inline when Redis is not asked (circuit breaker open, no connection, or
  // check_ban of a client whose ban this process has just seen).
  bool supports_protection() const override;
  void check_ban(const IpAddress& client, BanCallback done) override;
  void record_rejection(const IpAddress& client, const BanPolicy& policy,
                        BanCallback done) override;
  void list_bans(std::size_t max,
                 absl::AnyInvocable<void(std::optional<BanList>) &&> done) override;
  void lift_ban(const IpAddress& client, ChangeCallback done) override;
  void put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done) override;
  void remove_block(const Cidr& network, ChangeCallback done) override;
  void list_blocks(
      absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done) override;

  RedisStoreStats stats() const;
  // True while the circuit breaker is open: decisions come from the failure policy.
  bool fallback_active() const;
  const RedisStoreOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weir
