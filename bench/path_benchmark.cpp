// normalize_path on the targets a server sees: plain, with a query, with dot segments and
// escapes, and long. The output string is reused, as the server reuses one per connection.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "weir/path.hpp"

namespace {

void run(benchmark::State& state, std::string_view target) {
  std::string out;
  for (auto _ : state) {
    bool ok = weir::normalize_path(target, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * target.size()));
}

void BM_NormalizePath_Plain(benchmark::State& s) {
  run(s, "/api/data");
}
void BM_NormalizePath_Query(benchmark::State& s) {
  run(s, "/api/search?q=rate+limiter&page=2&sort=desc");
}
void BM_NormalizePath_DotsAndEscapes(benchmark::State& s) {
  run(s, "/api//v1/./../auth/%61%62c/%2Fx/login?next=%2F");
}
void BM_NormalizePath_Long(benchmark::State& s) {
  run(s,
      "/static/assets/vendor/library/v2.14.7/dist/modules/components/forms/inputs/date-picker/"
      "locales/en-GB/translations/messages/validation/errors/summary/index.min.js?v=1700000000");
}

BENCHMARK(BM_NormalizePath_Plain);
BENCHMARK(BM_NormalizePath_Query);
BENCHMARK(BM_NormalizePath_DotsAndEscapes);
BENCHMARK(BM_NormalizePath_Long);

}  // namespace
