// weir::test::run_command: runs a shell command and collects its exit status and output, for
// tests that drive external tools (promtool) or the weir binary's one-shot modes.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace weir::test {

struct CommandResult {
  int exit_status = -1;  // -1 when the command did not exit normally
  std::string output;    // stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;

  std::array<char, 4096> buffer;
  std::size_t read;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), read);
  }

  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  return result;
}

// A file of the source tree, by its path from the top.
inline std::string source_path(const std::string& relative) {
  return std::string(WEIR_SOURCE_DIR) + "/" + relative;
}

// A fixture for tests that run promtool: fails the test (never skips it) when promtool is
// missing, so a missing tool is never mistaken for passing rules.
class PromtoolFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_command("command -v promtool").exit_status != 0) {
      FAIL() << "promtool not found on PATH: install Debian's `prometheus` package (apt-get "
                "install prometheus), which provides it";
    }
  }
};

}  // namespace weir::test
