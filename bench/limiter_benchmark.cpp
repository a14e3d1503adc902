// The whole per-request decision of the core: Limiter::classify (blocklist of 10,000 networks,
// allowlist, client resolution, rule match) then MemoryStore::try_decide, on the real clock,
// over a million distinct clients already in the store, for each algorithm. Also one hot
// client, which shows the fixed cost with every line in cache.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "bench_data.hpp"
#include "weir/limiter.hpp"
#include "weir/memory_store.hpp"

namespace {

using weir::Algorithm;
using weir::Cidr;
using weir::IpAddress;
using weir::Limit;
using weir::Limiter;
using weir::LimiterOptions;
using weir::MemoryStore;
using weir::Outcome;
using weir::RequestFacts;
using weir::Rule;
using weir::RuleSet;

constexpr std::size_t kClients = 1'000'000;

// Generous enough that every timed request is admitted: the common case under normal traffic.
Limit limit_for(Algorithm algorithm) {
  return Limit{
      .algorithm = algorithm, .requests = 100'000, .window = std::chrono::seconds(60), .burst = 0};
}

struct Fixture {
  explicit Fixture(Algorithm algorithm) : store(clock, {.max_keys = kClients + kClients / 10}) {
    weir::bench::Rng rng(1);
    weir::CidrSet blocklist;
    for (const Cidr& c : weir::bench::networks_v4(rng, 10'000))
      blocklist.insert(c);
    weir::CidrSet allowlist;
    for (const char* net : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}) {
      allowlist.insert(*Cidr::parse(net));
    }
    weir::ClientResolverOptions client;
    client.trusted_proxies.insert(*Cidr::parse("10.0.0.0/8"));
    const Limit limit = limit_for(algorithm);
    LimiterOptions options{
        .allowlist = std::move(allowlist),
        .blocklist = std::move(blocklist),
        .client = std::move(client),
        .rules = RuleSet(Rule{"default", "/", limit},
                         {Rule{"/api/auth", "/api/auth", limit},
                          Rule{"/api/search", "/api/search", limit}, Rule{"/api", "/api", limit}})};
    limiter = std::make_unique<Limiter>(std::move(options));

    // Clients that reach the store: neither blocked nor allowlisted.
    clients.reserve(kClients);
    while (clients.size() < kClients) {
      const IpAddress ip = weir::bench::random_v4(rng);
      if (limiter->classify({.peer = ip, .forwarded = {}, .path = "/api/data"}).outcome ==
          Outcome::kAllowed) {
        clients.push_back(ip);
      }
    }
    for (const IpAddress& ip : clients) {
      limiter->check({.peer = ip, .forwarded = {}, .path = "/api/data"}, store);
    }
  }

  weir::SystemClock clock;
  MemoryStore store;
  std::unique_ptr<Limiter> limiter;
  std::vector<IpAddress> clients;
};

Fixture& fixture(Algorithm algorithm) {
  static std::array<std::once_flag, 3> once;
  static std::array<std::unique_ptr<Fixture>, 3> fixtures;
  const auto i = static_cast<std::size_t>(algorithm);
  std::call_once(once[i], [&] { fixtures[i] = std::make_unique<Fixture>(algorithm); });
  return *fixtures[i];
}

void BM_LimiterDecision(benchmark::State& state, Algorithm algorithm) {
  Fixture& f = fixture(algorithm);
  // Threads walk the clients from different places, as different connections would.
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * (kClients / 2 + 7);
  std::size_t admitted = 0;
  for (auto _ : state) {
    if (i >= kClients) i -= kClients;
    const RequestFacts facts{.peer = f.clients[i++], .forwarded = {}, .path = "/api/data"};
    const weir::Verdict v = f.limiter->check(facts, f.store);
    admitted += v.outcome == Outcome::kAllowed;
  }
  state.counters["admitted"] =
      benchmark::Counter(static_cast<double>(admitted) / static_cast<double>(state.iterations()),
                         benchmark::Counter::kAvgThreads);
  state.counters["keys"] =
      benchmark::Counter(static_cast<double>(f.store.size()), benchmark::Counter::kAvgThreads);
}

void BM_LimiterDecision_HotClient(benchmark::State& state, Algorithm algorithm) {
  Fixture& f = fixture(algorithm);
  const RequestFacts facts{.peer = f.clients[0], .forwarded = {}, .path = "/api/data"};
  for (auto _ : state) {
    weir::Verdict v = f.limiter->check(facts, f.store);
    benchmark::DoNotOptimize(v);
  }
}

BENCHMARK_CAPTURE(BM_LimiterDecision, gcra, Algorithm::kGcra)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LimiterDecision, sliding_counter, Algorithm::kSlidingCounter)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LimiterDecision, sliding_log, Algorithm::kSlidingLog)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LimiterDecision_HotClient, gcra, Algorithm::kGcra);
BENCHMARK_CAPTURE(BM_LimiterDecision_HotClient, sliding_counter, Algorithm::kSlidingCounter);
BENCHMARK_CAPTURE(BM_LimiterDecision_HotClient, sliding_log, Algorithm::kSlidingLog);

}  // namespace
