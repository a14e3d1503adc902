// The Redis store against a real redis-server: shared limits, the server's clock, pipelining,
// script reloading, key hygiene and connection options.
#include "store/redis_store.hpp"
#include "store/redis_scripts.hpp"
#include "store/redis_store_metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "support/redis_server.hpp"
#include "support/redis_store_harness.hpp"
#include "support/wait_until.hpp"
#include "weir/memory_store.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using testing::decide_on;
using testing::IoThreads;
using testing::RedisServer;
using testing::wait_until;

RateKey client(std::uint32_t rule, const char* ip) {
  return RateKey{rule, *IpAddress::parse(ip)};
}

Limit limit_of(Algorithm algorithm, std::uint32_t requests, Duration window) {
  return Limit{.algorithm = algorithm, .requests = requests, .window = window};
}

RedisStoreOptions options_for(const RedisServer& redis) {
  RedisStoreOptions options;
  options.url = redis.url();
  options.timeout = 500ms;  // generous: a loaded test machine must not fall back by accident
  return options;
}

// One simulated weir process: its threads, its local fallback and its Redis store.
struct Instance {
  Instance(const RedisStoreOptions& options, int threads, Instant start = Instant(1'700'000'000s))
      : io(threads), clock(start), local(clock), store(io.contexts(), options, local) {}
  ~Instance() { io.stop(); }  // before the store goes

  IoThreads io;
  ManualClock clock;
  MemoryStore local;
  RedisStore store;
};

// Fires `count` decisions for `key` at once from every thread of `instance` (no waiting between
// them, as concurrent clients would) and adds the admitted ones to `admitted`.
void fire(Instance& instance, const RateKey& key, const Limit& limit, int count,
          std::atomic<int>& admitted, std::atomic<int>& answered) {
  for (std::size_t t = 0; t < instance.io.size(); ++t) {
    boost::asio::post(instance.io[t], [&, key, limit, count] {
      for (int i = 0; i < count; ++i) {
        instance.store.decide(key, limit, [&](StoreResult r) {
          if (r.decision.allowed && !r.unavailable) admitted.fetch_add(1);
          answered.fetch_add(1);
        });
      }
    });
  }
}

class RedisStoreTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  RedisServer redis_;
};

TEST_P(RedisStoreTest, TwoInstancesUnderConcurrencyAdmitExactlyTheLimit) {
  Instance a(options_for(redis_), 2);
  Instance b(options_for(redis_), 2);
  const Limit limit = limit_of(GetParam(), 50, 60s);
  const RateKey key = client(1, "198.51.100.7");

  std::atomic<int> admitted{0};
  std::atomic<int> answered{0};
  fire(a, key, limit, 100, admitted, answered);
  fire(b, key, limit, 100, admitted, answered);

  ASSERT_TRUE(wait_until([&] { return answered.load() == 400; }, 10s)) << answered.load();
  EXPECT_EQ(admitted.load(), 50);
  EXPECT_EQ(a.store.stats().ok + b.store.stats().ok, 400u);
}

TEST_P(RedisStoreTest, InstancesWithSkewedClocksShareTheServersTimeline) {
  // One instance's clock is an hour ahead. Were decisions timed locally, it would see the
  // other's requests as long gone and admit a whole limit more.
  Instance behind(options_for(redis_), 1, Instant(1'700'000'000s));
  Instance ahead(options_for(redis_), 1, Instant(1'700'003'600s));
  const Limit limit = limit_of(GetParam(), 4, 30s);
  const RateKey key = client(2, "203.0.113.9");

  int admitted = 0;
  for (int i = 0; i < 4; ++i) {
    auto first = decide_on(behind.io[0], behind.store, key, limit);
    auto second = decide_on(ahead.io[0], ahead.store, key, limit);
    ASSERT_TRUE(first && second);
    admitted += first->decision.allowed + second->decision.allowed;
  }
  EXPECT_EQ(admitted, 4);
}

TEST_P(RedisStoreTest, EveryKeyExpiresJustAfterItsStateEmpties) {
  Instance instance(options_for(redis_), 1);
  const Limit limit = limit_of(GetParam(), 3, 20s);
  const RateKey key = client(3, "192.0.2.44");
  const auto result = decide_on(instance.io[0], instance.store, key, limit);
  ASSERT_TRUE(result);

  // The state empties `reset` after the decision: the keys go a millisecond after that.
  const long long reset_ms = result->decision.reset.count() / 1000;
  ASSERT_GT(reset_ms, 0);
  for (const std::string& name : redis_keys("weir", key, GetParam())) {
    const long long ttl = redis_.command({"PTTL", name}).integer;
    EXPECT_GT(ttl, reset_ms - 1000) << name;
    EXPECT_LE(ttl, reset_ms + 1) << name;
  }
}

TEST_P(RedisStoreTest, ScriptFlushMidRunFailsNoRequest) {
  Instance instance(options_for(redis_), 2);
  const Limit limit = limit_of(GetParam(), 30, 60s);
  const RateKey key = client(4, "192.0.2.45");

  std::atomic<int> admitted{0};
  std::atomic<int> answered{0};
  for (int round = 0; round < 4; ++round) {
    fire(instance, key, limit, 10, admitted, answered);
    if (round == 1 || round == 2) {
      ASSERT_EQ(redis_.command({"SCRIPT", "FLUSH"}).str, "OK");
    }
  }

  ASSERT_TRUE(wait_until([&] { return answered.load() == 80; }, 10s));
  const RedisStoreStats stats = instance.store.stats();
  EXPECT_EQ(stats.ok, 80u);
  EXPECT_EQ(stats.errors + stats.timeouts + stats.fallbacks, 0u);
  EXPECT_EQ(admitted.load(), 30);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, RedisStoreTest,
                         ::testing::Values(Algorithm::kSlidingLog, Algorithm::kSlidingCounter,
                                           Algorithm::kGcra),
                         weir::testing::algorithm_param_name);

TEST(RedisStoreSlidingLogTest, NeverHoldsMoreMembersThanTheLimit) {
  RedisServer redis;
  Instance instance(options_for(redis), 2);
  const Limit limit = limit_of(Algorithm::kSlidingLog, 7, 60s);
  const RateKey key = client(5, "192.0.2.46");

  std::atomic<int> admitted{0};
  std::atomic<int> answered{0};
  fire(instance, key, limit, 50, admitted, answered);
  ASSERT_TRUE(wait_until([&] { return answered.load() == 100; }, 10s));

  const std::string log = redis_keys("weir", key, Algorithm::kSlidingLog)[0];
  EXPECT_EQ(redis.command({"ZCARD", log}).integer, 7);
  EXPECT_EQ(admitted.load(), 7);
}

TEST(RedisStoreSlidingLogTest, MembersStayUniqueWhenRequestsShareAMicrosecond) {
  RedisServer redis;
  Instance instance(options_for(redis), 1);
  const Limit limit = limit_of(Algorithm::kSlidingLog, 5, 10s);
  const RateKey key = client(6, "192.0.2.47");
  const Instant at(1'700'000'000'000'000us);

  for (int i = 0; i < 5; ++i) {
    auto result = decide_on(instance.io[0], instance.store, key, limit, at);
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->decision.allowed);
    EXPECT_EQ(result->decision.remaining, 4u - i);
  }
  auto sixth = decide_on(instance.io[0], instance.store, key, limit, at);
  ASSERT_TRUE(sixth);
  EXPECT_FALSE(sixth->decision.allowed);
  EXPECT_EQ(sixth->decision.retry_after, 10s);
  EXPECT_EQ(redis.command({"ZCARD", redis_keys("weir", key, limit.algorithm)[0]}).integer, 5);
}

TEST(RedisStorePipeliningTest, ConcurrentRequestsShareRoundTrips) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis);
  options.connections = 1;
  Instance instance(options, 1);
  ASSERT_TRUE(decide_on(instance.io[0], instance.store, client(7, "192.0.2.1"),
                        limit_of(Algorithm::kGcra, 10, 1s)));  // connected
  const auto before = instance.store.stats().writes;

  // 200 decisions issued in one turn of the io_context, for 200 different clients.
  std::atomic<int> answered{0};
  boost::asio::post(instance.io[0], [&] {
    for (std::uint32_t i = 0; i < 200; ++i) {
      instance.store.decide(RateKey{7, IpAddress::from_v4(0xC0000200 + i)},
                            limit_of(Algorithm::kGcra, 10, 1s),
                            [&](StoreResult) { answered.fetch_add(1); });
    }
  });
  ASSERT_TRUE(wait_until([&] { return answered.load() == 200; }, 10s));

  const auto writes = instance.store.stats().writes - before;
  EXPECT_GE(writes, 1u);
  EXPECT_LE(writes, 5u) << "200 requests took " << writes << " writes";
}

TEST(RedisStoreMetricsTest, CountsResultsLatencyAndRoundTrips) {
  RedisServer redis;
  metrics::Registry registry;
  RedisStoreMetrics metrics(registry);
  IoThreads io(1);
  ManualClock clock;
  MemoryStore local(clock);
  RedisStore store(io.contexts(), options_for(redis), local, &metrics);

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        decide_on(io[0], store, client(9, "192.0.2.50"), limit_of(Algorithm::kGcra, 5, 1s)));
  }
  io.stop();

  EXPECT_EQ(metrics.ok.value(), 3u);
  EXPECT_EQ(metrics.error.value() + metrics.timeout.value() + metrics.fallback.value(), 0u);
  EXPECT_EQ(metrics.latency.snapshot().count, 3u);
  EXPECT_EQ(metrics.round_trips.value(), store.stats().writes);
  EXPECT_GE(metrics.round_trips.value(), 3u);  // one at least per sequential request
  EXPECT_LE(metrics.round_trips.value(), 4u);
  EXPECT_EQ(metrics.fallback_active.value(), 0);

  const std::string text = registry.render();
  EXPECT_NE(text.find("weir_store_requests_total{result=\"ok\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("weir_store_requests_total{result=\"timeout\"} 0"), std::string::npos);
  EXPECT_NE(text.find("weir_store_latency_seconds_count 3"), std::string::npos);
}

TEST(RedisStoreThreadTest, AnswersOnTheCallersContextEvenWithoutAConnectionOfItsOwn) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis);
  options.connections = 1;  // lives on io[0]; io[1] must hand its requests over
  Instance instance(options, 2);
  const Limit limit = limit_of(Algorithm::kSlidingLog, 3, 10s);

  for (std::size_t t = 0; t < 2; ++t) {
    std::promise<bool> on_caller;
    boost::asio::post(instance.io[t], [&, t] {
      instance.store.decide(client(10, "192.0.2.60"), limit, [&, t](StoreResult r) {
        on_caller.set_value(r.decision.allowed &&
                            instance.io[t].get_executor().running_in_this_thread());
      });
    });
    auto answer = on_caller.get_future();
    ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
    EXPECT_TRUE(answer.get()) << "thread " << t;
  }

  // A thread running none of the contexts may ask too; the answer comes on the connection's.
  std::promise<bool> on_connection;
  instance.store.decide(client(10, "192.0.2.60"), limit, [&](StoreResult r) {
    on_connection.set_value(r.decision.allowed &&
                            instance.io[0].get_executor().running_in_this_thread());
  });
  auto answer = on_connection.get_future();
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(answer.get());
  EXPECT_EQ(instance.store.stats().ok, 3u);
}

TEST(RedisStoreThreadTest, RunsOnThreadsOfItsOwnForCallersWithoutIoContexts) {
  RedisServer redis;
  ManualClock clock;
  MemoryStore local(clock);
  RedisStore store(options_for(redis), local, nullptr, 2);
  const Limit limit = limit_of(Algorithm::kGcra, 20, 60s);

  // Plain threads, as a caller that keeps its io_contexts to itself would be.
  std::atomic<int> admitted{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        store.decide(client(11, "192.0.2.70"), limit, [&](StoreResult r) {
          if (r.decision.allowed) admitted.fetch_add(1);
          answered.fetch_add(1);
        });
      }
    });
  }
  for (auto& caller : callers)
    caller.join();

  ASSERT_TRUE(wait_until([&] { return answered.load() == 60; }, 10s));
  EXPECT_EQ(admitted.load(), 20);
  EXPECT_EQ(store.stats().ok, 60u);
}

TEST(RedisStoreConnectionTest, AuthenticatesAndSelectsTheDatabase) {
  RedisServer redis({"--requirepass", "s3cret"});
  RedisStoreOptions options = options_for(redis);
  options.url.password = "s3cret";
  options.url.db = 3;
  Instance instance(options, 1);
  const RateKey key = client(8, "192.0.2.48");
  const Limit limit = limit_of(Algorithm::kGcra, 5, 1s);

  auto result = decide_on(instance.io[0], instance.store, key, limit);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->decision.allowed);
  EXPECT_EQ(instance.store.stats().ok, 1u);

  const std::string name = redis_keys("weir", key, limit.algorithm)[0];
  redis.command({"AUTH", "s3cret"});
  redis.command({"SELECT", "3"});
  EXPECT_EQ(redis.command({"EXISTS", name}).integer, 1);
}

TEST(RedisStoreConnectionTest, ResolvesAHostNameAndHoldsRequestsMeanwhile) {
  RedisServer redis({"--bind", "127.0.0.1", "-::1"});  // localhost may resolve to either
  RedisStoreOptions options = options_for(redis);
  options.url.host = "localhost";
  Instance instance(options, 1);

  // Asked at once: the connection is still resolving, so the request waits for it.
  auto result = decide_on(instance.io[0], instance.store, client(12, "192.0.2.80"),
                          limit_of(Algorithm::kSlidingLog, 5, 1s));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->decision.allowed);
  EXPECT_EQ(instance.store.stats().ok, 1u);
}

TEST(RedisStoreConnectionTest, ConnectsOverAUnixSocket) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis);
  options.url.scheme = config::RedisUrl::Scheme::kUnix;
  options.url.path = redis.unix_socket();
  Instance instance(options, 1);

  auto result = decide_on(instance.io[0], instance.store, client(9, "192.0.2.49"),
                          limit_of(Algorithm::kSlidingCounter, 5, 1s));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->decision.allowed);
  EXPECT_EQ(instance.store.stats().ok, 1u);
}

}  // namespace
}  // namespace weir
