// The Redis store against a real Redis Cluster (three masters, one replica each): routing by
// slot, limits, bans and blocks shared by two instances, slots that move, and a master that dies.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "config/redis_url.hpp"
#include "store/redis_cluster_slot.hpp"
#include "store/redis_scripts.hpp"
#include "store/redis_store.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/redis_store_harness.hpp"
#include "support/wait_until.hpp"
#include "weir/memory_store.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using testing::call_on;
using testing::decide_on;
using testing::IoThreads;
using testing::RedisCluster;
using testing::wait_until;

RateKey client(std::uint32_t rule, std::uint32_t n) {
  const std::string ip = "10." + std::to_string((n >> 16) & 0xff) + "." +
                         std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
  return RateKey{rule, *IpAddress::parse(ip)};
}

Limit limit_of(Algorithm algorithm, std::uint32_t requests, Duration window) {
  return Limit{.algorithm = algorithm, .requests = requests, .window = window};
}

int slot_of(const RateKey& key, Algorithm algorithm) {
  return redis_cluster_slot(redis_keys("weir", key, algorithm).front());
}

RedisStoreOptions options_for(const RedisCluster& cluster) {
  RedisStoreOptions options;
  // Built by hand: weir_store_tests does not link the URL parser (tests/config covers it).
  options.url.scheme = config::RedisUrl::Scheme::kCluster;
  options.url.seeds.clear();
  for (int node = 0; node < RedisCluster::kNodes; ++node)
    options.url.seeds.push_back({"127.0.0.1", cluster.port(node)});
  options.url.host = "127.0.0.1";
  options.url.port = cluster.port(0);
  options.timeout = 500ms;  // generous: a loaded test machine must not fall back by accident
  return options;
}

struct Instance {
  Instance(const RedisStoreOptions& options, int threads)
      : io(threads),
        clock(Instant(1'700'000'000s)),
        local(clock),
        store(io.contexts(), options, local) {}
  ~Instance() { io.stop(); }

  IoThreads io;
  ManualClock clock;
  MemoryStore local;
  RedisStore store;
};

// A client whose keys live in a slot served by `master`, from client number `from` on.
RateKey client_on(const RedisCluster& cluster, int master, Algorithm algorithm,
                  std::uint32_t from = 0) {
  std::map<int, int> owner;  // slot -> node, asked once per slot
  for (std::uint32_t n = from;; ++n) {
    const RateKey key = client(1, n);
    const int slot = slot_of(key, algorithm);
    if (!owner.contains(slot)) owner[slot] = cluster.master_of(slot);
    if (owner[slot] == master) return key;
  }
}

TEST(RedisCluster, SpreadsClientsOverEveryMaster) {
  RedisCluster cluster;
  Instance instance(options_for(cluster), 2);
  const Limit limit = limit_of(Algorithm::kGcra, 5, 60s);

  constexpr std::uint32_t kClients = 300;
  for (std::uint32_t n = 0; n < kClients; ++n) {
    const auto result = decide_on(instance.io[n % 2], instance.store, client(1, n), limit);
    ASSERT_TRUE(result.has_value()) << "no answer for client " << n;
    EXPECT_TRUE(result->decision.allowed);
    EXPECT_FALSE(result->unavailable);
    EXPECT_EQ(result->decision.remaining, 4u);
  }
  EXPECT_EQ(instance.store.stats().ok, kClients);
  EXPECT_EQ(instance.store.stats().errors, 0u);

  // Every key sits on the master serving its slot, and every master holds some.
  std::map<int, long long> keys_per_master;
  for (std::uint32_t n = 0; n < kClients; n += 10) {
    const int slot = slot_of(client(1, n), Algorithm::kGcra);
    const int master = cluster.master_of(slot);
    const auto count =
        cluster.command(master, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer;
    EXPECT_GE(count, 1) << "slot " << slot;
  }
  for (const int master : cluster.masters()) {
    keys_per_master[master] = cluster.command(master, {"DBSIZE"}).integer;
    EXPECT_GT(keys_per_master[master], 30) << "master on port " << cluster.port(master);
  }
  long long total = 0;
  for (const auto& [master, keys] : keys_per_master)
    total += keys;
  EXPECT_EQ(total, kClients);
  EXPECT_EQ(keys_per_master.size(), 3u);
}

TEST(RedisCluster, TwoInstancesShareExactLimits) {
  RedisCluster cluster;
  const RedisStoreOptions options = options_for(cluster);
  Instance a(options, 2);
  Instance b(options, 2);
  const Limit limit = limit_of(Algorithm::kSlidingLog, 10, 60s);

  constexpr std::uint32_t kClients = 24;
  constexpr int kPerThread = 8;  // 4 threads x 8 = 32 tries per client for 10 places
  std::atomic<int> admitted[kClients] = {};
  std::atomic<int> answered{0};
  for (Instance* instance : {&a, &b}) {
    for (std::size_t t = 0; t < instance->io.size(); ++t) {
      boost::asio::post(instance->io[t], [&, instance] {
        for (std::uint32_t n = 0; n < kClients; ++n) {
          for (int i = 0; i < kPerThread; ++i) {
            instance->store.decide(client(2, n), limit, [&, n](StoreResult r) {
              if (r.decision.allowed && !r.unavailable) admitted[n].fetch_add(1);
              answered.fetch_add(1);
            });
          }
        }
      });
    }
  }
  ASSERT_TRUE(wait_until([&] { return answered.load() == int(kClients) * 4 * kPerThread; }, 10s));
  for (std::uint32_t n = 0; n < kClients; ++n)
    EXPECT_EQ(admitted[n].load(), 10) << "client " << n;
  EXPECT_EQ(a.store.stats().errors + b.store.stats().errors, 0u);
  EXPECT_EQ(a.store.stats().ok + b.store.stats().ok, kClients * 4 * kPerThread);

  std::set<int> masters;
  for (std::uint32_t n = 0; n < kClients; ++n)
    masters.insert(cluster.master_of(slot_of(client(2, n), Algorithm::kSlidingLog)));
  EXPECT_EQ(masters.size(), 3u) << "the clients should cover every master";
}

TEST(RedisCluster, BansAndBlocksAreSharedWhereverTheirKeysLive) {
  RedisCluster cluster;
  const RedisStoreOptions options = options_for(cluster);
  Instance a(options, 1);
  Instance b(options, 1);
  const BanPolicy policy{.after = 2, .within = 60s, .duration = 10min, .max_duration = 1h};

  // Each client's ban key sits on the master of its own slot; the index on another.
  constexpr std::uint32_t kClients = 12;
  std::set<int> masters;
  for (std::uint32_t n = 0; n < kClients; ++n) {
    const IpAddress ip = client(0, n).client;
    EXPECT_FALSE(call_on<std::optional<Instant>>(
        a.io[0], [&](auto done) { a.store.record_rejection(ip, policy, done); }));
    EXPECT_TRUE(call_on<std::optional<Instant>>(
        b.io[0], [&](auto done) { b.store.record_rejection(ip, policy, done); }));
    masters.insert(cluster.master_of(redis_cluster_slot("{" + ip.to_string() + "}")));
  }
  EXPECT_EQ(masters.size(), 3u) << "the clients should cover every master";

  for (std::uint32_t n = 0; n < kClients; ++n) {
    const IpAddress ip = client(0, n).client;
    EXPECT_TRUE(call_on<std::optional<Instant>>(a.io[0], [&](auto done) {
      a.store.check_ban(ip, done);
    })) << ip.to_string();
  }
  const auto bans =
      call_on<std::optional<BanList>>(a.io[0], [&](auto done) { a.store.list_bans(5, done); });
  ASSERT_TRUE(bans);
  EXPECT_EQ(bans->total, kClients);
  EXPECT_EQ(bans->bans.size(), 5u);

  const Cidr network = *Cidr::parse("198.51.100.0/24");
  ASSERT_TRUE(call_on<bool>(b.io[0], [&](auto done) {
    b.store.put_block({network, std::nullopt}, done);
  }));
  const auto blocks = call_on<std::optional<std::vector<DynamicBlock>>>(
      a.io[0], [&](auto done) { a.store.list_blocks(done); });
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].network, network);
  EXPECT_EQ(a.store.stats().errors + b.store.stats().errors, 0u);
}

TEST(RedisCluster, FollowsAskAndMovedWhileASlotMigrates) {
  RedisCluster cluster;
  Instance instance(options_for(cluster), 1);
  const auto masters = cluster.masters();
  ASSERT_EQ(masters.size(), 3u);
  const int source = masters[0];
  const int target = masters[1];

  // One client, two algorithms: both keep their keys in the client's slot.
  const RateKey key = client_on(cluster, source, Algorithm::kSlidingLog);
  const int slot = slot_of(key, Algorithm::kSlidingLog);
  ASSERT_EQ(slot_of(key, Algorithm::kGcra), slot);
  const std::string slot_text = std::to_string(slot);
  const Limit log_limit = limit_of(Algorithm::kSlidingLog, 10, 60s);
  const Limit gcra_limit = limit_of(Algorithm::kGcra, 10, 60s);

  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(decide_on(instance.io[0], instance.store, key, log_limit).has_value());

  // Migration begins: the source still serves keys it has, and sends new ones on with ASK.
  const std::string source_id = cluster.id(source);
  const std::string target_id = cluster.id(target);
  ASSERT_EQ(cluster.command(target, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id}).str,
            "OK");
  ASSERT_EQ(cluster.command(source, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id}).str,
            "OK");

  auto gcra = decide_on(instance.io[0], instance.store, key, gcra_limit);
  ASSERT_TRUE(gcra.has_value());
  EXPECT_FALSE(gcra->unavailable);
  EXPECT_EQ(gcra->decision.remaining, 9u);
  EXPECT_EQ(cluster.command(target, {"CLUSTER", "COUNTKEYSINSLOT", slot_text}).integer, 1)
      << "the new key should have been written on the importing node (ASK)";

  auto log = decide_on(instance.io[0], instance.store, key, log_limit);
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->decision.remaining, 6u) << "existing keys are still served by the source";

  // Move the remaining keys, then hand the slot over on every node.
  std::vector<std::string> keys = redis_keys("weir", key, Algorithm::kSlidingLog);
  std::vector<std::string_view> migrate{"MIGRATE", "127.0.0.1"};
  const std::string target_port = std::to_string(cluster.port(target));
  migrate.insert(migrate.end(), {target_port, "", "0", "5000", "KEYS"});
  for (const auto& k : keys)
    migrate.push_back(k);
  ASSERT_EQ(cluster.command(source, migrate).str, "OK");
  for (const int node : {target, source}) {
    ASSERT_EQ(cluster.command(node, {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id}).str,
              "OK");
  }
  for (int node = 0; node < RedisCluster::kNodes; ++node) {
    if (node != source && node != target)
      cluster.command(node, {"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
  }

  // The source now answers MOVED; the store follows it and finds the migrated count.
  log = decide_on(instance.io[0], instance.store, key, log_limit);
  ASSERT_TRUE(log.has_value());
  EXPECT_FALSE(log->unavailable);
  EXPECT_EQ(log->decision.remaining, 5u);
  gcra = decide_on(instance.io[0], instance.store, key, gcra_limit);
  ASSERT_TRUE(gcra.has_value());
  EXPECT_EQ(gcra->decision.remaining, 8u);
  EXPECT_EQ(cluster.command(source, {"CLUSTER", "COUNTKEYSINSLOT", slot_text}).integer, 0);
  EXPECT_EQ(cluster.command(target, {"CLUSTER", "COUNTKEYSINSLOT", slot_text}).integer, 3);

  const RedisStoreStats stats = instance.store.stats();
  EXPECT_EQ(stats.ok, 7u);
  EXPECT_EQ(stats.errors, 0u);
}

TEST(RedisCluster, PolicyDecidesWhileAMasterFailsOverThenTheClusterAgain) {
  RedisCluster cluster;
  RedisStoreOptions options = options_for(cluster);
  options.timeout = 200ms;
  options.on_error = RedisFailurePolicy::kDeny;  // policy answers are recognisable
  options.probe_interval = 50ms;
  Instance instance(options, 1);
  const Limit limit = limit_of(Algorithm::kSlidingCounter, 3, 60s);

  const int victim = cluster.masters()[0];
  const RateKey before = client_on(cluster, victim, Algorithm::kSlidingCounter);
  auto result = decide_on(instance.io[0], instance.store, before, limit);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->unavailable);

  cluster.kill(victim);
  result = decide_on(instance.io[0], instance.store, before, limit);
  ASSERT_TRUE(result.has_value()) << "a dead master must not hang a request";
  EXPECT_TRUE(result->unavailable) << "decided by on_error: deny";

  // The replica is promoted after the node timeout (1 s); the store finds it by itself.
  const auto killed = std::chrono::steady_clock::now();
  bool recovered = false;
  while (std::chrono::steady_clock::now() - killed < 10s) {
    result = decide_on(instance.io[0], instance.store, before, limit);
    ASSERT_TRUE(result.has_value()) << "no hang during the failover";
    if (!result->unavailable) {
      recovered = true;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(recovered) << "decisions should come from the cluster again";
  const auto gap = std::chrono::steady_clock::now() - killed;
  EXPECT_LT(gap, 6s);
  EXPECT_GT(instance.store.stats().errors + instance.store.stats().fallbacks, 0u);

  // Limits hold again, on the promoted replica.
  const int promoted = cluster.master_of(slot_of(before, Algorithm::kSlidingCounter));
  ASSERT_GE(promoted, 0);
  EXPECT_NE(promoted, victim);
  const RateKey after = client_on(cluster, promoted, Algorithm::kSlidingCounter, 1000);
  for (int i = 0; i < 3; ++i) {
    result = decide_on(instance.io[0], instance.store, after, limit);
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->decision.allowed);
    EXPECT_FALSE(result->unavailable);
  }
  result = decide_on(instance.io[0], instance.store, after, limit);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->decision.allowed);
  EXPECT_FALSE(result->unavailable) << "denied by the limit, not by the policy";
}

// Decisions per second with `in_flight` outstanding per io thread, over many clients. Not a
// test: run by hand to compare a cluster with one Redis (see ComparesThroughput below).
double decisions_per_second(const RedisStoreOptions& options, int threads, int total,
                            int in_flight) {
  Instance instance(options, threads);
  const Limit limit = limit_of(Algorithm::kGcra, 1'000'000, 60s);
  std::atomic<int> issued{0};
  std::atomic<int> answered{0};
  std::function<void(std::size_t)> next = [&](std::size_t t) {
    const int n = issued.fetch_add(1);
    if (n >= total) return;
    instance.store.decide(client(3, static_cast<std::uint32_t>(n % 10'000)), limit,
                          [&, t](StoreResult) {
                            answered.fetch_add(1);
                            next(t);
                          });
  };
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < instance.io.size(); ++t) {
    boost::asio::post(instance.io[t], [&, t] {
      for (int i = 0; i < in_flight; ++i)
        next(t);
    });
  }
  if (!wait_until([&] { return answered.load() >= total; }, 120s)) return 0;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(instance.store.stats().ok, static_cast<std::uint64_t>(total));
  return total / took.count();
}

// By hand: weir_store_tests --gtest_also_run_disabled_tests --gtest_filter='*ComparesThroughput'
TEST(RedisCluster, DISABLED_ComparesThroughput) {
  constexpr int kTotal = 200'000;
  constexpr int kInFlight = 256;
  double single = 0;
  {
    testing::RedisServer redis;
    RedisStoreOptions options;
    options.url = redis.url();
    options.timeout = 2s;
    single = decisions_per_second(options, 2, kTotal, kInFlight);
  }
  RedisCluster cluster;
  RedisStoreOptions options = options_for(cluster);
  options.timeout = 2s;
  const double clustered = decisions_per_second(options, 2, kTotal, kInFlight);
  std::printf("single redis: %.0f decisions/s; cluster of 3 masters: %.0f decisions/s\n", single,
              clustered);
}

}  // namespace
}  // namespace weir
