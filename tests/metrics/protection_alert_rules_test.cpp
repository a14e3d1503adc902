// Runs promtool against the alert rules of weir's defences (deploy/prometheus/protection.yml)
// and their unit tests. Like alert_rules_test.cpp, a missing promtool fails rather than skips.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace weir::metrics {
namespace {

struct CommandResult {
  int exit_status = -1;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  std::size_t read;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), read);
  }
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  return result;
}

std::string source_path(const std::string& relative) {
  return std::string(WEIR_SOURCE_DIR) + "/" + relative;
}

class ProtectionAlertRules : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v promtool").exit_status != 0) {
      FAIL() << "promtool not found on PATH: install Debian's `prometheus` package";
    }
  }
};

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
