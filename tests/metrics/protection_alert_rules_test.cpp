// Runs promtool against the alert rules of weir's defences (deploy/prometheus/protection.yml)
// and their unit tests. Like alert_rules_test.cpp, a missing promtool fails rather than skips.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "support/command.hpp"

namespace weir::metrics {
namespace {

using test::CommandResult;
using test::source_path;

CommandResult run(const std::string& command) {
  return test::run_command(command);
}

class ProtectionAlertRules : public test::PromtoolFixture {};

TEST_F(ProtectionAlertRules, PassCheckRules) {
  const auto result =
      run("promtool check rules '" + source_path("deploy/prometheus/protection.yml") + "'");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

TEST_F(ProtectionAlertRules, FireAndStayQuietAsTheirUnitTestsExpect) {
  const auto result =
      run("promtool test rules '" + source_path("deploy/prometheus/protection_test.yml") + "'");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

}  // namespace
}  // namespace weir::metrics
