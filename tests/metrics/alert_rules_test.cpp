// Runs Prometheus's own promtool against weir's alert rules and exposition output, so that
// the rules are checked by the engine that will evaluate them and the text format by the
// parser that will scrape it. promtool comes with Debian's `prometheus` package; without it
// these tests fail rather than skip, so a missing tool is never mistaken for passing rules.
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/command.hpp"

#include "metrics/server_metrics.hpp"

namespace weir::metrics {
namespace {

using test::CommandResult;
using test::source_path;

CommandResult run(const std::string& command) {
  return test::run_command(command);
}

class PromtoolTest : public test::PromtoolFixture {};

TEST_F(PromtoolTest, AlertRulesPassCheckRules) {
  const auto result =
      run("promtool check rules '" + source_path("deploy/prometheus/rate_limit.yml") + "'");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

TEST_F(PromtoolTest, AlertRulesFireAndStayQuietAsTheirUnitTestsExpect) {
  const auto result =
      run("promtool test rules '" + source_path("deploy/prometheus/rate_limit_test.yml") + "'");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

TEST_F(PromtoolTest, OriginalRejectionRateAlertNeverFiresWhereTheCorrectedOneDoes) {
  const auto result = run("promtool test rules '" +
                          source_path("deploy/prometheus/testdata/original_broken_test.yml") + "'");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

// promtool check metrics exits 1 on a parse error and 3 on a lint problem (a counter without
// _total, a missing HELP), so 0 means Prometheus reads every line as intended.
TEST_F(PromtoolTest, ServerMetricsExpositionParsesAndPassesLint) {
  Registry registry;
  ServerMetrics metrics(registry);
  metrics.requests.with({"GET", "/api/data", "200"}).inc(3);
  metrics.requests.with({"POST", "quote\" backslash\\ newline\n", "429"}).inc();
  metrics.rate_limited.with({reason::kBlocklist}).inc();
  metrics.active_connections.set(4);
  metrics.request_duration.observe(0.0042);
  metrics.decision_duration.observe(std::chrono::nanoseconds(3100));

  const auto path = std::filesystem::path(::testing::TempDir()) / "weir_exposition.txt";
  std::ofstream(path) << registry.render();

  const auto result = run("promtool check metrics < '" + path.string() + "'");
  std::filesystem::remove(path);
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

}  // namespace
}  // namespace weir::metrics
