// The Redis store when Redis fails: each on_error policy, the circuit breaker, recovery after a
// restart, timeouts and unusable replies. A real redis-server is killed, paused and restarted.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "store/redis_scripts.hpp"
#include "store/redis_store.hpp"
#include "store/redis_store_metrics.hpp"
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

const Limit kLimit{.algorithm = Algorithm::kSlidingLog, .requests = 4, .window = 60s};

struct Instance {
  Instance(const RedisStoreOptions& options, int threads)
      : io(threads),
        local(clock),
        metrics(registry),
        store(io.contexts(), options, local, &metrics) {}
  ~Instance() { io.stop(); }

  IoThreads io;
  ManualClock clock;
  MemoryStore local;
  metrics::Registry registry;
  RedisStoreMetrics metrics;
  RedisStore store;
};

RedisStoreOptions options_for(const RedisServer& redis, RedisFailurePolicy policy) {
  RedisStoreOptions options;
  options.url = redis.url();
  options.timeout = 100ms;
  options.on_error = policy;
  options.instances = 2;  // under kLocal each instance enforces requests / 2
  return options;
}

// Steady background traffic on one thread: a decision every millisecond, for distinct clients
// so that the limit never interferes, counting what comes back.
class Load {
 public:
  Load(Instance& instance) : instance_(instance), timer_(instance.io[0]) {
    boost::asio::post(instance_.io[0], [this] { tick(); });
  }
  ~Load() { stop(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    std::promise<void> halted;
    boost::asio::post(instance_.io[0], [&] {
      timer_.cancel();
      halted.set_value();
    });
    halted.get_future().wait();
  }
  int sent() const { return sent_.load(); }
  int answered() const { return answered_.load(); }

 private:
  void tick() {
    if (stopped_) return;
    const auto ip = IpAddress::from_v4(0x0A000000 + static_cast<std::uint32_t>(sent_.load()));
    sent_.fetch_add(1);
    instance_.store.decide(RateKey{99, ip}, kLimit,
                           [this](StoreResult) { answered_.fetch_add(1); });
    timer_.expires_after(1ms);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  Instance& instance_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> sent_{0};
  std::atomic<int> answered_{0};
};

// Five requests for a fresh client: how many were admitted, and whether any was refused as
// unavailable.
struct Burst {
  int admitted = 0;
  int unavailable = 0;
  Duration retry_after{0};
};
Burst burst(Instance& instance, const RateKey& key) {
  Burst b;
  for (int i = 0; i < 5; ++i) {
    auto r = decide_on(instance.io[0], instance.store, key, kLimit);
    EXPECT_TRUE(r) << "no answer: a hang";
    if (!r) continue;
    b.admitted += r->decision.allowed;
    b.unavailable += r->unavailable;
    if (r->unavailable) b.retry_after = r->decision.retry_after;
  }
  return b;
}

class RedisOutageTest : public ::testing::TestWithParam<RedisFailurePolicy> {
 protected:
  RedisServer redis_;
};

TEST_P(RedisOutageTest, PolicyDecidesWhileRedisIsDownAndRedisAgainWithinASecondOfItsReturn) {
  Instance instance(options_for(redis_, GetParam()), 2);
  ASSERT_EQ(burst(instance, client(1, "192.0.2.1")).admitted, 4);  // Redis decides: 4 of 5
  Load load(instance);

  redis_.stop();
  ASSERT_TRUE(wait_until([&] { return instance.store.fallback_active(); }, 2s));
  EXPECT_EQ(instance.metrics.fallback_active.value(), 1);

  const Burst down = burst(instance, client(1, "192.0.2.2"));
  switch (GetParam()) {
    case RedisFailurePolicy::kAllow:
      EXPECT_EQ(down.admitted, 5);
      EXPECT_EQ(down.unavailable, 0);
      break;
    case RedisFailurePolicy::kDeny:
      EXPECT_EQ(down.admitted, 0);
      EXPECT_EQ(down.unavailable, 5);
      EXPECT_EQ(down.retry_after, 1s);
      break;
    case RedisFailurePolicy::kLocal:
      EXPECT_EQ(down.admitted, 2);  // 4 requests shared by 2 instances
      EXPECT_EQ(down.unavailable, 0);
      break;
  }
  // The breaker spares requests the timeout: the policy answers at once.
  EXPECT_TRUE(instance.store.try_decide(client(1, "192.0.2.3"), kLimit).has_value() ||
              !instance.store.fallback_active());

  const auto ok_before = instance.store.stats().ok;
  redis_.start();
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return !instance.store.fallback_active(); }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - back, 1s);
  EXPECT_GT(instance.store.stats().ok, ok_before);
  EXPECT_EQ(instance.metrics.fallback_active.value(), 0);

  EXPECT_EQ(burst(instance, client(1, "192.0.2.4")).admitted, 4);  // Redis decides again

  load.stop();
  ASSERT_TRUE(wait_until([&] { return load.answered() == load.sent(); }, 2s))
      << load.answered() << " of " << load.sent() << " answered";
  const RedisStoreStats stats = instance.store.stats();
  EXPECT_GT(stats.fallbacks, 0u);
  EXPECT_GT(stats.errors + stats.timeouts, 0u);
  EXPECT_EQ(instance.metrics.fallback.value(), stats.fallbacks);
  EXPECT_EQ(instance.metrics.error.value(), stats.errors);
}

INSTANTIATE_TEST_SUITE_P(Policies, RedisOutageTest,
                         ::testing::Values(RedisFailurePolicy::kAllow, RedisFailurePolicy::kDeny,
                                           RedisFailurePolicy::kLocal),
                         [](const auto& info) {
                           switch (info.param) {
                             case RedisFailurePolicy::kAllow:
                               return std::string("Allow");
                             case RedisFailurePolicy::kDeny:
                               return std::string("Deny");
                             case RedisFailurePolicy::kLocal:
                               return std::string("Local");
                           }
                           return std::string("Unknown");
                         });

TEST(RedisFailureTest, WrongTypeReplyIsDecidedByThePolicyNotACrash) {
  RedisServer redis;
  const RateKey key = client(2, "192.0.2.10");
  // A string where the script expects a sorted set: every call errors with WRONGTYPE.
  redis.command({"SET", redis_keys("weir", key, Algorithm::kSlidingLog)[0], "not a zset"});

  std::uint32_t rule = 20;
  for (const auto policy :
       {RedisFailurePolicy::kAllow, RedisFailurePolicy::kDeny, RedisFailurePolicy::kLocal}) {
    Instance instance(options_for(redis, policy), 1);
    const Burst b = burst(instance, key);
    switch (policy) {
      case RedisFailurePolicy::kAllow:
        EXPECT_EQ(b.admitted, 5);
        break;
      case RedisFailurePolicy::kDeny:
        EXPECT_EQ(b.unavailable, 5);
        break;
      case RedisFailurePolicy::kLocal:
        EXPECT_EQ(b.admitted, 2);
        break;
    }
    EXPECT_EQ(instance.store.stats().errors, 5u);
    // Redis answered, so it is not down: other keys still go to Redis.
    EXPECT_FALSE(instance.store.fallback_active());
    EXPECT_EQ(burst(instance, client(++rule, "192.0.2.11")).admitted, 4);
  }
}

TEST(RedisFailureTest, TimedOutRequestIsDecidedByThePolicyAndNeverSentTwice) {
  RedisServer redis;
  Instance instance(options_for(redis, RedisFailurePolicy::kDeny), 1);
  const RateKey key = client(3, "192.0.2.20");
  ASSERT_TRUE(decide_on(instance.io[0], instance.store, client(3, "192.0.2.21"), kLimit));

  redis.pause();
  const auto start = std::chrono::steady_clock::now();
  auto result = decide_on(instance.io[0], instance.store, key, kLimit);
  const auto waited = std::chrono::steady_clock::now() - start;
  redis.resume();

  ASSERT_TRUE(result);
  EXPECT_TRUE(result->unavailable);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 1s);
  EXPECT_EQ(instance.store.stats().timeouts, 1u);

  // The server ran the script once it thawed: one member, not two.
  const std::string log = redis_keys("weir", key, Algorithm::kSlidingLog)[0];
  ASSERT_TRUE(wait_until([&] { return redis.command({"ZCARD", log}).integer >= 1; }, 2s));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(redis.command({"ZCARD", log}).integer, 1);
}

TEST(RedisFailureTest, RefusedPasswordIsDecidedByThePolicyAndOpensTheBreaker) {
  RedisServer redis({"--requirepass", "right"});
  RedisStoreOptions options = options_for(redis, RedisFailurePolicy::kDeny);
  options.url.password = "wrong";
  Instance instance(options, 1);

  const Burst b = burst(instance, client(5, "192.0.2.40"));
  EXPECT_EQ(b.unavailable, 5);
  EXPECT_EQ(instance.store.stats().ok, 0u);
  EXPECT_TRUE(wait_until([&] { return instance.store.fallback_active(); }, 2s));
}

TEST(RedisFailureTest, UnreachableRedisAtStartupIsDecidedByThePolicy) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis, RedisFailurePolicy::kLocal);
  redis.stop();
  Instance instance(options, 1);

  const Burst b = burst(instance, client(4, "192.0.2.30"));
  EXPECT_EQ(b.admitted, 2);
  EXPECT_EQ(instance.store.stats().ok, 0u);

  redis.start();
  ASSERT_TRUE(wait_until(
      [&] {
        decide_on(instance.io[0], instance.store, client(4, "192.0.2.31"), kLimit);
        return instance.store.stats().ok > 0;
      },
      3s));
}

}  // namespace
}  // namespace weir
