#include "metrics/process_metrics.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weir::metrics {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(ProcessMetricsTest, ReadsPlausibleStatsFromProc) {
  // Touch a few megabytes so the resident size is clearly above zero.
  std::vector<char> ballast(8 << 20, 1);

  const auto stats = read_process_stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_GT(stats->resident_memory_bytes, ballast.size());
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->cpu_seconds, 0.0);

  // The test process started within the last hour (and not in the future, beyond the
  // one-tick rounding of the start time).
  EXPECT_LE(stats->start_time_seconds, now_seconds() + 1);
  EXPECT_GT(stats->start_time_seconds, now_seconds() - 3600);
}

TEST(ProcessMetricsTest, CountsAnExtraOpenFileDescriptor) {
  const auto before = count_open_fds();
  ASSERT_TRUE(before.has_value());

  const int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const auto during = count_open_fds();
  close(fd);

  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(*during, *before + 1);
}

TEST(ProcessMetricsTest, RendersTheStandardNames) {
  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.render();

  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_virtual_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_open_fds gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_max_fds gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\n"));

  EXPECT_THAT(text, ContainsRegex("\nprocess_resident_memory_bytes [1-9][0-9]+\n"));
  EXPECT_THAT(text, ContainsRegex("\nprocess_open_fds [1-9][0-9]*\n"));
  EXPECT_THAT(text, ContainsRegex("\nprocess_start_time_seconds 1[0-9]{9}"));
  EXPECT_THAT(text, ContainsRegex("\nprocess_cpu_seconds_total [0-9]"));
}

TEST(ProcessMetricsTest, ReportsTheSoftFileDescriptorLimit) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);

  Registry registry;
  register_process_metrics(registry);

  EXPECT_THAT(registry.render(),
              HasSubstr("\nprocess_max_fds " + std::to_string(limit.rlim_cur) + "\n"));
}

}  // namespace
}  // namespace weir::metrics
