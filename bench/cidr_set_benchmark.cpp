// CidrSet lookups in a 10,000-entry blocklist: hits and misses, IPv4 and IPv6, and IPv4 misses
// in a mixed set, where every prefix length of both families is probed.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "bench_data.hpp"
#include "weir/cidr_set.hpp"

namespace {

using weir::Cidr;
using weir::CidrSet;
using weir::IpAddress;

constexpr std::size_t kNetworks = 10'000;
constexpr std::size_t kProbes = 4096;  // a power of two, cycled through

enum class Family { kV4, kV6, kMixed };
enum class Probe { kHit, kMiss };

struct Fixture {
  CidrSet set;
  std::vector<IpAddress> probes;
};

Fixture make_fixture(Family family, Probe probe, bool v6_probes) {
  weir::bench::Rng rng(family == Family::kV6 ? 6 : 4);
  std::vector<Cidr> networks;
  if (family == Family::kV4) networks = weir::bench::networks_v4(rng, kNetworks);
  if (family == Family::kV6) networks = weir::bench::networks_v6(rng, kNetworks);
  if (family == Family::kMixed) {
    networks = weir::bench::networks_v4(rng, kNetworks / 2);
    for (const Cidr& c : weir::bench::networks_v6(rng, kNetworks / 2))
      networks.push_back(c);
  }

  Fixture f{CidrSet(networks), {}};
  while (f.probes.size() < kProbes) {
    IpAddress ip;
    if (probe == Probe::kHit) {
      ip = weir::bench::address_in(rng, networks[rng() % networks.size()]);
      if (ip.is_v4() == v6_probes) continue;
    } else {
      ip = v6_probes ? weir::bench::random_v6(rng) : weir::bench::random_v4(rng);
      if (f.set.contains(ip)) continue;
    }
    f.probes.push_back(ip);
  }
  return f;
}

void run(benchmark::State& state, Family family, Probe probe, bool v6_probes) {
  const Fixture f = make_fixture(family, probe, v6_probes);
  std::size_t i = 0;
  for (auto _ : state) {
    bool hit = f.set.contains(f.probes[i++ & (kProbes - 1)]);
    benchmark::DoNotOptimize(hit);
  }
  state.counters["set_size"] = static_cast<double>(f.set.size());
}

void BM_CidrSetLookup_V4Hit(benchmark::State& s) {
  run(s, Family::kV4, Probe::kHit, false);
}
void BM_CidrSetLookup_V4Miss(benchmark::State& s) {
  run(s, Family::kV4, Probe::kMiss, false);
}
void BM_CidrSetLookup_V6Hit(benchmark::State& s) {
  run(s, Family::kV6, Probe::kHit, true);
}
void BM_CidrSetLookup_V6Miss(benchmark::State& s) {
  run(s, Family::kV6, Probe::kMiss, true);
}
void BM_CidrSetLookup_MixedV4Miss(benchmark::State& s) {
  run(s, Family::kMixed, Probe::kMiss, false);
}

BENCHMARK(BM_CidrSetLookup_V4Hit);
BENCHMARK(BM_CidrSetLookup_V4Miss);
BENCHMARK(BM_CidrSetLookup_V6Hit);
BENCHMARK(BM_CidrSetLookup_V6Miss);
BENCHMARK(BM_CidrSetLookup_MixedV4Miss);

}  // namespace
