#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <system_error>

namespace weir::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<double> read_boot_time_seconds() {
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (!line.starts_with("btime ")) continue;
    char* end = nullptr;
    const double seconds = std::strtod(line.c_str() + 6, &end);
    if (end == line.c_str() + 6) return std::nullopt;
    return seconds;
  }
  return std::nullopt;
}

// The boot time is fixed while weir runs, and /proc/stat grows with the number of CPUs.
const std::optional<double>& boot_time_seconds() {
  static const std::optional<double> boot_time = read_boot_time_seconds();
  return boot_time;
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;

  // Field 2, the command name, is in parentheses and may itself hold spaces or ')'; the fields
  // after the last ')' are plain numbers, starting with field 3 (state).
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));

  // Field numbers as in proc(5): 14 utime, 15 stime, 22 starttime (clock ticks), 23 vsize
  // (bytes), 24 rss (pages).
  std::string skip;
  unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
  long long rss_pages = 0;
  for (int field = 3; field <= 13; ++field)
    fields >> skip;
  fields >> utime >> stime;
  for (int field = 16; field <= 21; ++field)
    fields >> skip;
  fields >> starttime >> vsize >> rss_pages;
  if (!fields) return std::nullopt;

  const auto& boot_time = boot_time_seconds();
  if (!boot_time) return std::nullopt;

  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page_size = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

  ProcessStats stats;
  stats.cpu_seconds = static_cast<double>(utime + stime) / ticks_per_second;
  stats.resident_memory_bytes = static_cast<std::uint64_t>(rss_pages) * page_size;
  stats.virtual_memory_bytes = vsize;
  stats.start_time_seconds = *boot_time + static_cast<double>(starttime) / ticks_per_second;
  return stats;
}

std::optional<std::uint64_t> count_open_fds() {
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/self/fd", error);
  if (error) return std::nullopt;

  // The iterator's own descriptor is among those counted, as in every other Prometheus client.
  std::uint64_t count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  return count;
}

void register_process_metrics(Registry& registry) {
  // The start time never changes; reading it once also spares /proc/stat at every scrape.
  const auto at_start = read_process_stats();
  const double start_time = at_start ? at_start->start_time_seconds : kNaN;

  registry.callback_counter("process_cpu_seconds_total",
                            "Total user and system CPU time spent by the process in seconds.", [] {
                              const auto stats = read_process_stats();
                              return stats ? stats->cpu_seconds : kNaN;
                            });
  registry.callback_gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
    const auto stats = read_process_stats();
    return stats ? static_cast<double>(stats->resident_memory_bytes) : kNaN;
  });
  registry.callback_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", [] {
    const auto stats = read_process_stats();
    return stats ? static_cast<double>(stats->virtual_memory_bytes) : kNaN;
  });
  registry.callback_gauge("process_open_fds", "Number of open file descriptors.", [] {
    const auto count = count_open_fds();
    return count ? static_cast<double>(*count) : kNaN;
  });
  registry.callback_gauge("process_max_fds", "Maximum number of open file descriptors.", [] {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kNaN;
    return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                           : static_cast<double>(limit.rlim_cur);
  });
  registry.callback_gauge("process_start_time_seconds",
                          "Start time of the process since the Unix epoch in seconds.",
                          [start_time] { return start_time; });
}

}  // namespace weir::metrics
