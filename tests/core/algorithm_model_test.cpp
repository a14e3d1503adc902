// Drives each algorithm with thousands of seeded random request times and checks it against a
// brute-force reference: a naive model where one exists, and the guarantee the algorithm
// promises in every interval.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "weir/gcra.hpp"
#include "weir/sliding_counter.hpp"
#include "weir/sliding_log.hpp"

namespace weir {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

constexpr int kSteps = 3'000;
constexpr std::uint64_t kSeeds[] = {1, 7, 2024};
constexpr std::uint32_t kQuotas[] = {1, 2, 5, 17, 100};
// Small odd windows make fixed-window edges and rounding frequent; large ones exercise the
// doubles with big values.
const Duration kWindows[] = {microseconds(1'000), microseconds(10'007), seconds(1),
                             seconds(86'400)};

std::int64_t us(Instant t) {
  return t.time_since_epoch().count();
}

// Request times: mostly near the limit's rate, with same-instant bursts, long idle gaps and
// steps backwards (a wall clock being corrected).
class Timeline {
 public:
  Timeline(std::uint64_t seed, const Limit& limit) : rng_(seed), limit_(limit) {}

  Instant next() {
    const std::int64_t w = limit_.window.count();
    const int kind = static_cast<int>(uniform(0, 99));
    if (kind < 10) {
      // same instant
    } else if (kind < 15) {
      now_ -= Duration(uniform(0, w));
    } else if (kind < 20) {
      now_ += Duration(uniform(w, 3 * w));
    } else {
      now_ += Duration(uniform(0, 2 * w / limit_.requests + 1));
    }
    return now_;
  }

 private:
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

  std::mt19937_64 rng_;
  Limit limit_;
  Instant now_ = ManualClock().now();
};

// A denial's retry_after is the earliest admitting instant: admitted then, denied a
// microsecond sooner (when that is still later than the denial).
template <typename State>
void ExpectEarliestAdmission(const State& state, const Limit& limit, Instant t,
                             const Decision& denied) {
  ASSERT_GE(denied.retry_after, Duration(1));
  State later = state;
  EXPECT_TRUE(later.decide(limit, t + denied.retry_after).allowed)
      << "retry_after " << denied.retry_after.count() << "us";
  if (denied.retry_after > Duration(1)) {
    State sooner = state;
    EXPECT_FALSE(sooner.decide(limit, t + denied.retry_after - Duration(1)).allowed)
        << "retry_after " << denied.retry_after.count() << "us";
  }
}

// How many more requests the state would admit at `t`, counting up to `cap`.
template <typename State>
std::uint32_t AdmissibleAt(const State& state, const Limit& limit, Instant t, std::uint32_t cap) {
  State copy = state;
  std::uint32_t n = 0;
  while (n < cap && copy.decide(limit, t).allowed)
    ++n;
  return n;
}

// -- sliding log ---------------------------------------------------------------------------

// The definition, evaluated from every admitted timestamp.
Decision NaiveSlidingLog(std::vector<std::int64_t>& admitted, const Limit& limit, std::int64_t t) {
  const std::int64_t w = limit.window.count();
  auto first_live = admitted.end();
  while (first_live != admitted.begin() && t - *(first_live - 1) < w)
    --first_live;
  const auto live = static_cast<std::uint32_t>(admitted.end() - first_live);

  Decision d;
  d.limit = limit.requests;
  if (live < limit.requests) {
    admitted.push_back(t);
    d.allowed = true;
    d.remaining = limit.requests - live - 1;
    d.reset = Duration(w);
  } else {
    d.allowed = false;
    d.retry_after = Duration(*first_live + w - t);
    d.reset = Duration(admitted.back() + w - t);
  }
  return d;
}

TEST(AlgorithmModelTest, SlidingLogAgreesWithNaiveLogAndNeverExceedsQuotaInAnyWindow) {
  for (const Duration window : kWindows) {
    for (const std::uint32_t quota : kQuotas) {
      for (const std::uint64_t seed : kSeeds) {
        const Limit limit{.algorithm = Algorithm::kSlidingLog, .requests = quota, .window = window};
        SCOPED_TRACE(testing::Message()
                     << "N=" << quota << " W=" << window.count() << "us seed=" << seed);
        Timeline timeline(seed, limit);
        SlidingLog state;
        std::vector<std::int64_t> admitted;
        Instant latest = Instant::min();

        for (int step = 0; step < kSteps; ++step) {
          const Instant now = timeline.next();
          latest = std::max(latest, now);
          const Decision expected = NaiveSlidingLog(admitted, limit, us(latest));
          const Decision got = state.decide(limit, now);
          ASSERT_EQ(got, expected) << "step " << step << " at " << us(now);
          ASSERT_LE(state.capacity(), quota);
          if (got.allowed) {
            ASSERT_EQ(AdmissibleAt(state, limit, latest, quota), got.remaining);
          } else {
            ExpectEarliestAdmission(state, limit, latest, got);
          }
        }

        // Every window [a, a + W) starting at an admitted request holds at most N of them;
        // those are the only windows that can hold the most.
        std::size_t end = 0;
        for (std::size_t i = 0; i < admitted.size(); ++i) {
          while (end < admitted.size() && admitted[end] < admitted[i] + window.count())
            ++end;
          ASSERT_LE(end - i, quota) << "window starting at " << admitted[i];
        }
      }
    }
  }
}

// -- sliding counter -----------------------------------------------------------------------

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - (a % b != 0 && a < 0 ? 1 : 0);
}

// The formula evaluated from every admitted timestamp, with waits found by trying every
// microsecond (only for windows small enough to scan).
class NaiveSlidingCounter {
 public:
  explicit NaiveSlidingCounter(const Limit& limit) : limit_(limit) {}

  Decision decide(std::int64_t t, bool scan_for_wait) {
    Decision d;
    d.limit = limit_.requests;
    d.allowed = admits(t);
    const std::int64_t w = limit_.window.count();
    const std::int64_t index = FloorDiv(t, w);
    if (d.allowed) {
      admitted_.push_back(t);
      const double left = std::floor(static_cast<double>(limit_.requests) - estimate(t));
      d.remaining = left <= 0 ? 0 : static_cast<std::uint32_t>(left);
    } else if (scan_for_wait) {
      // Try every later microsecond. Nothing is admitted meanwhile, so the counts of t's
      // window and the one before stay as they are; the next window starts with this one's.
      const std::uint32_t before = count_in(index - 1);
      const std::uint32_t during = count_in(index);
      std::int64_t later = t;
      bool admitted = false;
      while (!admitted) {
        ++later;
        const std::int64_t at = FloorDiv(later, w);
        const std::uint32_t previous = at == index ? before : (at == index + 1 ? during : 0);
        const std::uint32_t current = at == index ? during : 0;
        admitted = formula(later, previous, current) + 1.0 <= static_cast<double>(limit_.requests);
      }
      d.retry_after = Duration(later - t);
    }
    if (count_in(index) > 0) {
      d.reset = Duration((index + 2) * w - t);
    } else if (count_in(index - 1) > 0) {
      d.reset = Duration((index + 1) * w - t);
    }
    return d;
  }

 private:
  std::uint32_t count_in(std::int64_t index) const {
    const std::int64_t w = limit_.window.count();
    std::uint32_t n = 0;
    for (auto it = admitted_.rbegin(); it != admitted_.rend() && *it >= index * w; ++it) {
      if (*it < (index + 1) * w) ++n;
    }
    return n;
  }

  double formula(std::int64_t t, std::uint32_t previous, std::uint32_t current) const {
    const std::int64_t w = limit_.window.count();
    const std::int64_t elapsed = t - FloorDiv(t, w) * w;
    const double weight = static_cast<double>(w - elapsed) / static_cast<double>(w);
    return static_cast<double>(previous) * weight + static_cast<double>(current);
  }

  double estimate(std::int64_t t) const {
    const std::int64_t index = FloorDiv(t, limit_.window.count());
    return formula(t, count_in(index - 1), count_in(index));
  }

  bool admits(std::int64_t t) const {
    return estimate(t) + 1.0 <= static_cast<double>(limit_.requests);
  }

  Limit limit_;
  std::vector<std::int64_t> admitted_;
};

TEST(AlgorithmModelTest, SlidingCounterMatchesNaiveFormulaAndItsWaitsAreExact) {
  for (const Duration window : kWindows) {
    for (const std::uint32_t quota : kQuotas) {
      for (const std::uint64_t seed : kSeeds) {
        const Limit limit{
            .algorithm = Algorithm::kSlidingCounter, .requests = quota, .window = window};
        SCOPED_TRACE(testing::Message()
                     << "N=" << quota << " W=" << window.count() << "us seed=" << seed);
        const bool scan = window <= microseconds(10'007);
        Timeline timeline(seed, limit);
        SlidingCounter state;
        NaiveSlidingCounter naive(limit);
        Instant latest = Instant::min();

        for (int step = 0; step < kSteps; ++step) {
          const Instant now = timeline.next();
          latest = std::max(latest, now);
          Decision expected = naive.decide(us(latest), scan);
          const Decision got = state.decide(limit, now);
          if (!scan) expected.retry_after = got.retry_after;
          ASSERT_EQ(got, expected) << "step " << step << " at " << us(now);
          if (!got.allowed) ExpectEarliestAdmission(state, limit, latest, got);
        }
      }
    }
  }
}

TEST(AlgorithmModelTest, SlidingCounterWaitsAreExactWithLargeQuotasAndWindows) {
  // Quotas and windows near the configuration bounds, where W * N no longer fits a double
  // exactly and the closed forms round.
  std::mt19937_64 rng(99);
  int denials = 0;
  for (const std::uint32_t quota : {3u, 999u, 65'537u, 999'983u, kMaxRequests}) {
    for (const Duration window :
         {Duration(seconds(59)), Duration(seconds(3'599)), Duration(kMaxWindow)}) {
      const Limit limit{
          .algorithm = Algorithm::kSlidingCounter, .requests = quota, .window = window};
      SCOPED_TRACE(testing::Message() << "N=" << quota << " W=" << window.count() << "us");
      for (int trial = 0; trial < 200; ++trial) {
        // A state denied at a random point: random counts, a random instant in its window.
        SlidingCounter state;
        const std::int64_t w = window.count();
        const std::int64_t index = 1'700'000'000'000'000 / w + trial;
        state.latest = Instant(Duration(index * w));
        state.previous = std::uniform_int_distribution<std::uint32_t>(1, quota)(rng);
        state.current = std::uniform_int_distribution<std::uint32_t>(0, quota)(rng);
        const Instant t = Instant(
            Duration(index * w + std::uniform_int_distribution<std::int64_t>(0, w - 1)(rng)));
        SlidingCounter probe = state;
        const Decision d = probe.decide(limit, t);
        if (d.allowed) continue;
        ++denials;
        SlidingCounter denied = state;
        denied.decide(limit, t);
        ExpectEarliestAdmission(denied, limit, t, d);
      }
    }
  }
  EXPECT_GT(denials, 500);
}

// -- gcra ----------------------------------------------------------------------------------

TEST(AlgorithmModelTest, GcraNeverAdmitsMoreThanBurstPlusRateInAnyInterval) {
  for (const Duration window : kWindows) {
    for (const std::uint32_t quota : kQuotas) {
      for (const std::uint32_t burst : {0u, 1u, 3u * quota}) {
        for (const std::uint64_t seed : kSeeds) {
          const Limit limit{
              .algorithm = Algorithm::kGcra, .requests = quota, .window = window, .burst = burst};
          SCOPED_TRACE(testing::Message() << "N=" << quota << " W=" << window.count()
                                          << "us B=" << burst << " seed=" << seed);
          // T = ceil(W / N), computed here rather than taken from the code under test.
          const std::int64_t interval = (window.count() + quota - 1) / quota;
          const std::int64_t b = limit.effective_burst();
          Timeline timeline(seed, limit);
          Gcra state;
          std::vector<std::int64_t> admitted;
          Instant latest = Instant::min();

          for (int step = 0; step < kSteps; ++step) {
            const Instant now = timeline.next();
            latest = std::max(latest, now);
            const Decision got = state.decide(limit, now);
            ASSERT_EQ(got.limit, quota);
            if (got.allowed) {
              admitted.push_back(us(latest));
              // Remaining is what the bucket still admits now, capped at the quota.
              ASSERT_EQ(AdmissibleAt(state, limit, latest, quota), got.remaining);
            } else {
              // Liveness: once the bucket has had B intervals to drain since the last
              // admission, nothing may be denied.
              ASSERT_FALSE(!admitted.empty() && us(latest) >= admitted.back() + b * interval)
                  << "step " << step;
              ASSERT_EQ(got.remaining, 0u);
              ExpectEarliestAdmission(state, limit, latest, got);
            }
          }

          // Requests i..j (admitted, in time order) span d = a[j] - a[i], and the worst
          // intervals begin and end at admitted requests, so the guarantee is: for all i <= j,
          // j - i + 1 <= B + floor(d / T), that is d >= (j - i + 1 - B) * T, that is
          // u[i] - u[j] <= (B - 1) * T with u[k] = a[k] - k * T. A running maximum of u checks
          // every pair in one pass.
          std::int64_t max_u = std::numeric_limits<std::int64_t>::min();
          for (std::size_t j = 0; j < admitted.size(); ++j) {
            const std::int64_t u = admitted[j] - static_cast<std::int64_t>(j) * interval;
            max_u = std::max(max_u, u);
            ASSERT_LE(max_u - u, (b - 1) * interval) << "admitted request " << j;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace weir
