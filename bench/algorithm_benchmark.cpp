// Cost of one rate-limit decision through the memory store, per algorithm: with a handful of
// hot keys (everything in cache) and with a million keys (a cache miss or two per decision),
// on one thread and on two.
//
//   ./weir_bench --benchmark_filter=MemoryStoreDecide
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "weir/memory_store.hpp"

namespace weir {
namespace {

const Instant kStart = ManualClock().now();
ManualClock g_clock(kStart);
std::unique_ptr<MemoryStore> g_store;

RateKey BenchKey(std::uint64_t n) {
  IpAddress::Bytes bytes{0x20, 0x01, 0x0d, 0xb8};
  for (int i = 0; i < 8; ++i)
    bytes[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return RateKey{1, IpAddress(bytes)};
}

Limit BenchLimit(const benchmark::State& state) {
  return Limit{.algorithm = static_cast<Algorithm>(state.range(1)),
               .requests = 100,
               .window = std::chrono::seconds(1)};
}

// Runs once before each benchmark's threads start: a store already holding every key, with
// room to spare so that filling it evicts nothing.
void FillStore(const benchmark::State& state) {
  const auto keys = static_cast<std::uint64_t>(state.range(0));
  g_store = std::make_unique<MemoryStore>(
      g_clock, MemoryStoreOptions{.max_keys = static_cast<std::size_t>(keys + keys / 4 + 64)});
  const Limit limit = BenchLimit(state);
  for (std::uint64_t i = 0; i < keys; ++i)
    g_store->decide_at(BenchKey(i), limit, kStart);
}

void DropStore(const benchmark::State&) {
  g_store.reset();
}

void BM_MemoryStoreDecide(benchmark::State& state) {
  const auto keys = static_cast<std::uint64_t>(state.range(0));
  const Limit limit = BenchLimit(state);
  std::uint64_t x = 0x9e3779b97f4a7c15ull * (state.thread_index() + 1);
  Instant now = kStart;

  for (auto _ : state) {
    // xorshift: keys in no particular order, as clients arrive.
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    now += Duration(1);
    benchmark::DoNotOptimize(g_store->decide_at(BenchKey(x % keys), limit, now));
  }

  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(to_string(limit.algorithm)));
}

BENCHMARK(BM_MemoryStoreDecide)
    ->ArgNames({"keys", "algorithm"})
    ->ArgsProduct({{16, 1'000'000},
                   {static_cast<int>(Algorithm::kSlidingLog),
                    static_cast<int>(Algorithm::kSlidingCounter),
                    static_cast<int>(Algorithm::kGcra)}})
    ->Setup(FillStore)
    ->Teardown(DropStore)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace
}  // namespace weir
