// The Redis store's bans and dynamic blocks against a real redis-server: the ban policy on the
// server's clock, listing and lifting, blocks, two instances sharing both, and what happens
// when Redis is gone. Bans here last a few hundred milliseconds of real time, since Redis's
// TIME cannot be driven by a manual clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/redis_store.hpp"
#include "support/redis_server.hpp"
#include "support/redis_store_harness.hpp"
#include "support/wait_until.hpp"
#include "weir/memory_store.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using testing::call_on;
using testing::IoThreads;
using testing::RedisServer;
using testing::wait_until;

using MaybeInstant = std::optional<Instant>;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

Cidr cidr(const char* text) {
  return *Cidr::parse(text);
}

Instant wall_now() {
  return SystemClock().now();
}

RedisStoreOptions options_for(const RedisServer& redis,
                              RedisFailurePolicy on_error = RedisFailurePolicy::kAllow) {
  RedisStoreOptions options;
  options.url = redis.url();
  options.timeout = 500ms;  // generous: a loaded test machine must not fail by accident
  options.on_error = on_error;
  return options;
}

// One simulated weir process: a thread, its embedded store and its Redis store, with the
// store's ban and block operations made blocking.
struct Instance {
  explicit Instance(const RedisStoreOptions& options)
      : io(1), local(clock), store(io.contexts(), options, local) {}
  ~Instance() { io.stop(); }  // before the store goes

  MaybeInstant check(const IpAddress& client) {
    return call_on<MaybeInstant>(io[0], [&](auto done) { store.check_ban(client, done); });
  }
  MaybeInstant reject(const IpAddress& client, const BanPolicy& policy) {
    return call_on<MaybeInstant>(io[0],
                                 [&](auto done) { store.record_rejection(client, policy, done); });
  }
  std::optional<BanList> bans(std::size_t max) {
    return call_on<std::optional<BanList>>(io[0], [&](auto done) { store.list_bans(max, done); });
  }
  // The change's answer: nullopt when the store could not give one.
  std::optional<bool> lift(const IpAddress& client) {
    return call_on<std::optional<bool>>(io[0], [&](auto done) { store.lift_ban(client, done); });
  }
  bool put(const DynamicBlock& block) {
    return call_on<bool>(io[0], [&](auto done) { store.put_block(block, done); });
  }
  std::optional<bool> remove(const Cidr& network) {
    return call_on<std::optional<bool>>(io[0],
                                        [&](auto done) { store.remove_block(network, done); });
  }
  std::optional<std::vector<DynamicBlock>> blocks() {
    return call_on<std::optional<std::vector<DynamicBlock>>>(
        io[0], [&](auto done) { store.list_blocks(done); });
  }

  IoThreads io;
  ManualClock clock;  // the embedded store's, used only under on_error: local
  MemoryStore local;
  RedisStore store;
};

// Bans that end soon, so a test can see them end.
const BanPolicy kQuick{.after = 3, .within = 60s, .duration = 300ms, .max_duration = 2s};

class RedisBans : public ::testing::Test {
 protected:
  RedisServer redis_;
  Instance weir_{options_for(redis_)};
};

TEST_F(RedisBans, BanTheClientAtTheThresholdUntilTheBanEnds) {
  const IpAddress client = ip("198.51.100.7");
  EXPECT_FALSE(weir_.reject(client, kQuick));
  EXPECT_FALSE(weir_.reject(client, kQuick));
  EXPECT_FALSE(weir_.check(client)) << "two strikes of three ban nobody";

  const Instant before = wall_now();
  const MaybeInstant until = weir_.reject(client, kQuick);
  const Instant after = wall_now();
  ASSERT_TRUE(until);
  EXPECT_GE(*until, before + kQuick.duration);
  EXPECT_LE(*until, after + kQuick.duration);

  const MaybeInstant checked = weir_.check(client);
  ASSERT_TRUE(checked);
  EXPECT_LT(std::chrono::abs(*checked - *until), 50ms);
  EXPECT_FALSE(weir_.check(ip("198.51.100.8")));

  // The ban ends on time, by Redis's clock.
  ASSERT_TRUE(wait_until([&] { return !weir_.check(client); }, 2s));
  EXPECT_GE(wall_now(), *until - 50ms);
}

TEST_F(RedisBans, RejectionsWhileBannedAreNotCounted) {
  const IpAddress client = ip("198.51.100.9");
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  const MaybeInstant until = weir_.reject(client, policy);
  ASSERT_TRUE(until);
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(weir_.reject(client, policy));

  const auto list = weir_.bans(10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->bans.size(), 1u);
  EXPECT_EQ(list->bans[0].bans, 1u);
  EXPECT_EQ(list->bans[0].length, 10s);
  EXPECT_LT(std::chrono::abs(list->bans[0].until - *until), 50ms);
}

TEST_F(RedisBans, StrikesOutsideTheWindowStartTheCountAgain) {
  const IpAddress client = ip("198.51.100.10");
  const BanPolicy policy{.after = 3, .within = 300ms, .duration = 10s, .max_duration = 60s};
  EXPECT_FALSE(weir_.reject(client, policy));
  EXPECT_FALSE(weir_.reject(client, policy));
  std::this_thread::sleep_for(400ms);  // Redis's clock is the wall clock: the window passes

  EXPECT_FALSE(weir_.reject(client, policy));
  EXPECT_FALSE(weir_.reject(client, policy));
  EXPECT_TRUE(weir_.reject(client, policy));
}

TEST_F(RedisBans, EachBanDoublesTheLastUpToTheCap) {
  const IpAddress client = ip("198.51.100.11");
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 100ms, .max_duration = 300ms};
  std::vector<Duration> lengths;
  std::vector<std::uint32_t> counts;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(weir_.reject(client, policy)) << "ban " << i + 1;
    const auto list = weir_.bans(10);
    ASSERT_TRUE(list && list->bans.size() == 1u);
    lengths.push_back(list->bans[0].length);
    counts.push_back(list->bans[0].bans);
    ASSERT_TRUE(wait_until([&] { return !weir_.check(client); }, 2s));
  }
  EXPECT_EQ(lengths, (std::vector<Duration>{100ms, 200ms, 300ms}));
  EXPECT_EQ(counts, (std::vector<std::uint32_t>{1, 2, 3}));
}

TEST_F(RedisBans, RedisForgetsTheClientWhenTheEmbeddedStoreWould) {
  const IpAddress client = ip("198.51.100.12");
  ASSERT_FALSE(weir_.reject(client, kQuick));
  // Counting strikes: kept for the window.
  const long long counting = redis_.command({"PTTL", "weir:{198.51.100.12}:ban"}).integer;
  EXPECT_GT(counting, 59'000);
  EXPECT_LE(counting, 60'001);

  ASSERT_FALSE(weir_.reject(client, kQuick));
  ASSERT_TRUE(weir_.reject(client, kQuick));
  // Banned: kept until max_duration after the ban ends.
  const long long banned = redis_.command({"PTTL", "weir:{198.51.100.12}:ban"}).integer;
  EXPECT_GT(banned, 2'000);
  EXPECT_LE(banned, 2'301);
}

TEST_F(RedisBans, ListsTheTotalAndAtMostTheNumberAsked) {
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  for (const char* client : {"192.0.2.1", "192.0.2.2", "2001:db8:1::"})
    ASSERT_TRUE(weir_.reject(ip(client), policy));

  const auto two = weir_.bans(2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->total, 3u);
  ASSERT_EQ(two->bans.size(), 2u);
  for (const BanEntry& ban : two->bans) {
    EXPECT_EQ(ban.length, 10s);
    EXPECT_EQ(ban.bans, 1u);
    EXPECT_GT(ban.until, wall_now() + 9s);
  }

  const auto all = weir_.bans(10);
  ASSERT_TRUE(all);
  std::vector<std::string> clients;
  for (const BanEntry& ban : all->bans)
    clients.push_back(ban.client.to_string());
  std::sort(clients.begin(), clients.end());
  EXPECT_EQ(clients, (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "2001:db8:1::"}));

  const auto count = weir_.bans(0);
  ASSERT_TRUE(count);
  EXPECT_EQ(count->total, 3u);
  EXPECT_TRUE(count->bans.empty());
}

TEST_F(RedisBans, EndedBansLeaveTheListAndTheIndex) {
  ASSERT_FALSE(weir_.reject(ip("192.0.2.20"), kQuick));
  ASSERT_FALSE(weir_.reject(ip("192.0.2.20"), kQuick));
  ASSERT_TRUE(weir_.reject(ip("192.0.2.20"), kQuick));
  EXPECT_EQ(weir_.bans(10)->total, 1u);
  // The index goes with its last ban.
  EXPECT_LE(redis_.command({"PTTL", "weir:{bans}:index"}).integer, 301);

  ASSERT_TRUE(wait_until([&] { return !weir_.check(ip("192.0.2.20")); }, 2s));
  const auto list = weir_.bans(10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 0u);
  EXPECT_TRUE(list->bans.empty());
  EXPECT_EQ(redis_.command({"ZCARD", "weir:{bans}:index"}).integer, 0);
  EXPECT_EQ(redis_.command({"HLEN", "weir:{bans}:detail"}).integer, 0);
}

TEST_F(RedisBans, LiftEndsTheBanAndForgetsTheHistory) {
  const IpAddress client = ip("192.0.2.30");
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  ASSERT_TRUE(weir_.reject(client, policy));
  ASSERT_TRUE(weir_.check(client));  // now remembered by this instance too

  EXPECT_EQ(weir_.lift(client), true);
  EXPECT_FALSE(weir_.check(client));
  EXPECT_EQ(weir_.bans(10)->total, 0u);
  EXPECT_EQ(weir_.lift(client), false);
  EXPECT_EQ(weir_.lift(ip("192.0.2.31")), false);

  // A new offence is a first one again.
  ASSERT_TRUE(weir_.reject(client, policy));
  const auto list = weir_.bans(10);
  ASSERT_TRUE(list && list->bans.size() == 1u);
  EXPECT_EQ(list->bans[0].bans, 1u);
  EXPECT_EQ(list->bans[0].length, 10s);
}

TEST_F(RedisBans, ABannedClientsFloodIsAnsweredWithoutRedis) {
  const IpAddress client = ip("192.0.2.40");
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  ASSERT_TRUE(weir_.reject(client, policy));
  ASSERT_TRUE(weir_.check(ip("192.0.2.41")) == std::nullopt);

  const auto writes = weir_.store.stats().writes;
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(weir_.check(client));
  // At most one refresh, should the second the answer is kept for have passed meanwhile.
  EXPECT_LE(weir_.store.stats().writes - writes, 1u);

  // A client not banned is asked about every time: "not banned" is never kept.
  const auto before = weir_.store.stats().writes;
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(weir_.check(ip("192.0.2.41")));
  EXPECT_EQ(weir_.store.stats().writes - before, 3u);
}

TEST_F(RedisBans, BlocksArePutReplacedListedAndRemoved) {
  const Instant soon = wall_now() + 10min;
  EXPECT_TRUE(weir_.put({cidr("198.51.100.0/24"), soon}));
  EXPECT_TRUE(weir_.put({cidr("2001:db8::/32"), std::nullopt}));

  auto blocks = weir_.blocks();
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].network, cidr("198.51.100.0/24"));
  ASSERT_TRUE((*blocks)[0].expires);
  EXPECT_LT(std::chrono::abs(*(*blocks)[0].expires - soon), 50ms);
  EXPECT_EQ((*blocks)[1].network, cidr("2001:db8::/32"));
  EXPECT_FALSE((*blocks)[1].expires);

  // Putting it again replaces the expiry: now until removed.
  EXPECT_TRUE(weir_.put({cidr("198.51.100.0/24"), std::nullopt}));
  blocks = weir_.blocks();
  ASSERT_TRUE(blocks && blocks->size() == 2u);
  EXPECT_FALSE((*blocks)[0].expires);

  EXPECT_EQ(weir_.remove(cidr("198.51.100.0/24")), true);
  EXPECT_EQ(weir_.remove(cidr("198.51.100.0/24")), false);
  EXPECT_EQ(weir_.remove(cidr("203.0.113.0/24")), false);
  blocks = weir_.blocks();
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].network, cidr("2001:db8::/32"));
}

TEST_F(RedisBans, ExpiredBlocksAreNeitherListedNorKept) {
  ASSERT_TRUE(weir_.put({cidr("203.0.113.0/24"), wall_now() + 200ms}));
  ASSERT_EQ(weir_.blocks()->size(), 1u);
  ASSERT_TRUE(wait_until([&] { return weir_.blocks()->empty(); }, 2s));
  EXPECT_EQ(redis_.command({"HLEN", "weir:blocks"}).integer, 0);
  EXPECT_EQ(weir_.remove(cidr("203.0.113.0/24")), false);
}

TEST_F(RedisBans, ScriptsLostByTheServerAreSentAgain) {
  ASSERT_TRUE(weir_.put({cidr("10.0.0.0/8"), std::nullopt}));  // connected, scripts loaded
  ASSERT_EQ(redis_.command({"SCRIPT", "FLUSH"}).str, "OK");

  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  EXPECT_FALSE(weir_.check(ip("192.0.2.80")));
  EXPECT_TRUE(weir_.reject(ip("192.0.2.80"), policy));
  EXPECT_EQ(weir_.bans(10)->total, 1u);
  EXPECT_EQ(weir_.blocks()->size(), 1u);
  EXPECT_EQ(weir_.store.stats().errors, 0u);
}

TEST(RedisBansShared, TwoInstancesSeeEachOthersBansAndBlocks) {
  RedisServer redis;
  Instance a(options_for(redis));
  Instance b(options_for(redis));
  const IpAddress client = ip("203.0.113.5");

  ASSERT_FALSE(a.reject(client, kQuick));
  ASSERT_FALSE(b.reject(client, kQuick));  // strikes count wherever they land
  ASSERT_TRUE(a.reject(client, kQuick));
  EXPECT_TRUE(b.check(client));
  EXPECT_EQ(b.bans(10)->total, 1u);

  // Lifted through b: a, which remembers the ban, lets go within a second.
  ASSERT_TRUE(a.check(client));
  EXPECT_EQ(b.lift(client), true);
  EXPECT_FALSE(b.check(client));
  EXPECT_TRUE(wait_until([&] { return !a.check(client); }, 1500ms));

  ASSERT_TRUE(a.put({cidr("198.51.100.0/24"), std::nullopt}));
  auto seen = b.blocks();
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].network, cidr("198.51.100.0/24"));
  EXPECT_EQ(b.remove(cidr("198.51.100.0/24")), true);
  EXPECT_TRUE(a.blocks()->empty());
}

TEST(RedisBansShared, KeysFollowThePrefix) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis);
  options.key_prefix = "edge";
  Instance weir(options);
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  ASSERT_TRUE(weir.reject(ip("192.0.2.50"), policy));
  ASSERT_TRUE(weir.put({cidr("10.0.0.0/8"), std::nullopt}));

  EXPECT_EQ(redis.command({"EXISTS", "edge:{192.0.2.50}:ban"}).integer, 1);
  EXPECT_EQ(redis.command({"ZSCORE", "edge:{bans}:index", "192.0.2.50"}).type, REDIS_REPLY_STRING);
  EXPECT_EQ(redis.command({"HEXISTS", "edge:blocks", "10.0.0.0/8"}).integer, 1);
}

TEST(RedisBansFailure, WithRedisGoneBansFailOpenAndBlocksAreUnknown) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis);
  options.timeout = 100ms;
  Instance weir(options);
  const BanPolicy policy{.after = 1, .within = 60s, .duration = 10s, .max_duration = 60s};
  ASSERT_TRUE(weir.put({cidr("10.0.0.0/8"), std::nullopt}));
  redis.stop();

  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(weir.check(ip("192.0.2.60")));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_FALSE(weir.reject(ip("192.0.2.60"), policy));
  EXPECT_FALSE(weir.bans(10));
  EXPECT_EQ(weir.lift(ip("192.0.2.60")), std::nullopt);  // unknown, not "not banned"
  EXPECT_FALSE(weir.blocks());
  EXPECT_FALSE(weir.put({cidr("10.0.0.0/8"), std::nullopt}));
  EXPECT_EQ(weir.remove(cidr("10.0.0.0/8")), std::nullopt);
  // The failures opened the circuit breaker, as failed decisions do.
  EXPECT_TRUE(weir.store.fallback_active());
}

TEST(RedisBansFailure, UnderTheLocalPolicyBansFallBackToTheEmbeddedStore) {
  RedisServer redis;
  RedisStoreOptions options = options_for(redis, RedisFailurePolicy::kLocal);
  options.timeout = 100ms;
  Instance weir(options);
  const BanPolicy policy{.after = 2, .within = 60s, .duration = 10s, .max_duration = 60s};
  ASSERT_TRUE(weir.put({cidr("10.0.0.0/8"), std::nullopt}));
  redis.stop();

  const IpAddress client = ip("192.0.2.70");
  EXPECT_FALSE(weir.reject(client, policy));
  const MaybeInstant until = weir.reject(client, policy);
  ASSERT_TRUE(until);
  EXPECT_EQ(*until, weir.clock.now() + 10s);  // the embedded store's clock
  EXPECT_EQ(weir.check(client), until);
  EXPECT_EQ(weir.bans(10)->total, 1u);
  EXPECT_EQ(weir.lift(client), true);

  // Blocks are the operator's shared state: no local stand-in.
  EXPECT_FALSE(weir.blocks());
  EXPECT_FALSE(weir.put({cidr("10.0.0.0/8"), std::nullopt}));
}

}  // namespace
}  // namespace weir
