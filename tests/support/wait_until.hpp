// wait_until: polls a condition that another thread (a store's I/O thread, a Redis server)
// makes true, for the store tests that cannot drive time with a manual clock.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace weir::testing {

// Polls `condition` every millisecond until it holds (true) or `limit` passes (false).
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace weir::testing
