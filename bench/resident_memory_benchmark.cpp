// Resident memory of a MemoryStore holding a million keys, per algorithm: the growth of this
// process's RSS from before the store exists to after a million distinct clients have each made
// one request. Growth, not a sizeof sum, so allocator overhead, hash-index slack and the slot
// arrays' doubling all count. Run each in a fresh process (bench/run.sh does) so memory freed
// by earlier benchmarks does not hide the cost.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <vector>

#include "bench_data.hpp"
#include "weir/memory_store.hpp"

namespace {

using weir::Algorithm;

constexpr std::size_t kKeys = 1'000'000;

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void BM_ResidentMemory(benchmark::State& state, Algorithm algorithm) {
  // The keys are made first, so their own 20 MB do not count as the store's.
  weir::bench::Rng rng(7);
  std::vector<weir::RateKey> keys(kKeys);
  for (std::size_t i = 0; i < kKeys; ++i) {
    keys[i] = {0, weir::IpAddress::from_v4(static_cast<std::uint32_t>(0x0b000000u + i))};
  }
  const weir::Limit limit{
      .algorithm = algorithm, .requests = 100, .window = std::chrono::seconds(60), .burst = 0};
  weir::ManualClock clock;

  for (auto _ : state) {
    const std::size_t before = resident_bytes();
    auto store = std::make_unique<weir::MemoryStore>(
        clock, weir::MemoryStoreOptions{.max_keys = kKeys + kKeys / 10});
    for (const weir::RateKey& key : keys) {
      benchmark::DoNotOptimize(store->decide_at(key, limit, clock.now()));
    }
    const std::size_t after = resident_bytes();

    const double growth = static_cast<double>(after - before);
    state.counters["keys"] = static_cast<double>(store->size());
    state.counters["rss_MiB"] = growth / (1024.0 * 1024.0);
    state.counters["bytes_per_key"] = growth / static_cast<double>(store->size());
  }
}

BENCHMARK_CAPTURE(BM_ResidentMemory, gcra, Algorithm::kGcra)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ResidentMemory, sliding_counter, Algorithm::kSlidingCounter)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ResidentMemory, sliding_log, Algorithm::kSlidingLog)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
