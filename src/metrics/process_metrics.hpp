// The standard Prometheus process metrics for the running weir, read from /proc/self at every
// scrape:
//
//   process_cpu_seconds_total       counter  user + system CPU time, seconds
//   process_resident_memory_bytes   gauge    resident set size
//   process_virtual_memory_bytes    gauge    virtual memory size
//   process_open_fds                gauge    open file descriptors
//   process_max_fds                 gauge    the soft RLIMIT_NOFILE
//   process_start_time_seconds      gauge    start time since the Unix epoch
//
//   weir::metrics::register_process_metrics(registry);
#pragma once

#include <cstdint>
#include <optional>

#include "metrics/registry.hpp"

namespace weir::metrics {

struct ProcessStats {
  double cpu_seconds = 0;
  std::uint64_t resident_memory_bytes = 0;
  std::uint64_t virtual_memory_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// Reads /proc/self/stat (and /proc/stat for the boot time). Returns nullopt when either is
// unreadable or malformed, as on a system without procfs. Thread-safe.
std::optional<ProcessStats> read_process_stats();

// Counts the entries of /proc/self/fd; nullopt when it cannot be listed.
std::optional<std::uint64_t> count_open_fds();

// Registers the six metrics above. A value that cannot be read renders as NaN for that scrape
// rather than failing it. Throws std::invalid_argument if any of the names is taken.
void register_process_metrics(Registry& registry);

}  // namespace weir::metrics
