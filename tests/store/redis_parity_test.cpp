// The Redis scripts and the embedded algorithms decide alike, bit for bit: the same seeded
// random requests at the same explicit times get identical Decisions from RedisStore::decide_at
// and MemoryStore::decide_at, also across a change of limits.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <vector>

#include "store/redis_store.hpp"
#include "support/redis_server.hpp"
#include "support/redis_store_harness.hpp"
#include "weir/memory_store.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using testing::decide_on;
using testing::IoThreads;
using testing::RedisServer;

struct Case {
  RateKey key;
  Limit limit;
};

std::string describe(const Decision& d) {
  return fmt::format("allowed={} limit={} remaining={} reset={}us retry_after={}us", d.allowed,
                     d.limit, d.remaining, d.reset.count(), d.retry_after.count());
}

class RedisParityTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(RedisParityTest, RedisAndMemoryStoreDecideAlikeOnRandomSequences) {
  RedisServer redis;
  IoThreads io(1);
  ManualClock clock;
  MemoryStore local(clock);
  RedisStoreOptions options;
  options.url = redis.url();
  options.timeout = 2s;
  RedisStore store(io.contexts(), options, local);
  MemoryStore reference(clock);

  std::mt19937_64 random(20240601 + static_cast<int>(GetParam()));
  auto uniform = [&](std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random);
  };

  // Small quotas and odd windows, so that windows roll over, counters weigh fractions, GCRA
  // periods round up and requests are denied often.
  const std::vector<Duration> windows{1ms, 1s, 1'234'567us, 7'000'003us, 60s};
  std::vector<Case> cases;
  for (std::uint32_t i = 0; i < 4; ++i) {
    Limit limit;
    limit.algorithm = GetParam();
    limit.requests = static_cast<std::uint32_t>(uniform(1, 12));
    limit.window = windows[static_cast<std::size_t>(uniform(0, 4))];
    if (GetParam() == Algorithm::kGcra && uniform(0, 1) == 1) {
      limit.burst = static_cast<std::uint32_t>(uniform(1, 3 * limit.requests));
    }
    cases.push_back({RateKey{10 + i, IpAddress::from_v4(0xC6336400 + i)}, limit});
  }

  // Times on the Unix timeline, from an offset that puts window boundaries anywhere.
  std::vector<Instant> latest(
      cases.size(), Instant(1'700'000'000'000'000us + Duration(uniform(0, 1'000'000'000))));
  int allowed = 0;
  int denied = 0;
  for (int step = 0; step < 500; ++step) {
    if (step == 250) {
      // A configuration reload changes every limit: both stores start each key afresh.
      for (Case& c : cases)
        c.limit.requests += 1;
    }
    const std::size_t i = static_cast<std::size_t>(uniform(0, 3));
    const Case& c = cases[i];
    const std::int64_t w = c.limit.window.count();

    // Mostly forward: often the same microsecond, often a fraction of the window, sometimes
    // past it; now and then backwards, which both must ignore.
    Instant at = latest[i];
    switch (uniform(0, 9)) {
      case 0:
      case 1:
        break;
      case 2:
        at -= Duration(uniform(1, w / 2));
        break;
      case 3:
        at += Duration(uniform(w, 3 * w));
        break;
      default:
        at += Duration(uniform(1, w / 3));
        break;
    }
    latest[i] = std::max(latest[i], at);

    const StoreResult expected = reference.decide_at(c.key, c.limit, at);
    const auto actual = decide_on(io[0], store, c.key, c.limit, at);
    ASSERT_TRUE(actual) << "no answer at step " << step;
    ASSERT_FALSE(actual->unavailable);
    ASSERT_EQ(actual->decision, expected.decision)
        << "step " << step << " key " << i << " at " << at.time_since_epoch().count() << " limit "
        << c.limit.requests << "/" << w << "us burst " << c.limit.burst
        << "\n redis:  " << describe(actual->decision)
        << "\n memory: " << describe(expected.decision);
    (expected.decision.allowed ? allowed : denied) += 1;
  }
  // Both branches were exercised.
  EXPECT_GT(allowed, 50);
  EXPECT_GT(denied, 50);
  EXPECT_EQ(store.stats().ok, 500u);
  io.stop();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, RedisParityTest,
                         ::testing::Values(Algorithm::kSlidingLog, Algorithm::kSlidingCounter,
                                           Algorithm::kGcra),
                         weir::testing::algorithm_param_name);

}  // namespace
}  // namespace weir
