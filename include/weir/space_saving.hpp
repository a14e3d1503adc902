// weir::SpaceSaving: the heaviest hitters of a stream of client addresses in fixed memory
// (Metwally, Agrawal and El Abbadi's Space-Saving algorithm with k counters).
//
// Used to show operators which clients a shadow-mode rule would have rejected most, without a
// table of every client: under a flood of a million identities it still holds k entries.
//
//   weir::SpaceSaving top(100);
//   top.add(client);                       // once per would-be rejection
//   for (const auto& e : top.top(10)) ...  // e.count - e.error <= true count <= e.count
//
// Guarantees, with N the total weight added: every address whose true count exceeds N / k is
// held; a held count overestimates the true one by at most its `error`, itself at most N / k.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "weir/ip_address.hpp"

namespace weir {

// Not thread-safe: callers serialise access (the server holds it under a mutex).
class SpaceSaving {
 public:
  struct Entry {
    IpAddress client;
    std::uint64_t count = 0;  // an upper bound of the client's true count
    std::uint64_t error = 0;  // how much of `count` may belong to clients it replaced
  };

  // Holds at most `capacity` counters (at least 1; 0 is taken as 1). Memory: about 48 bytes
  // per counter plus the hash index.
  explicit SpaceSaving(std::size_t capacity);

  // Counts `weight` more for `client`. O(log capacity); allocates only while filling.
  void add(const IpAddress& client, std::uint64_t weight = 1);

  // The `n` entries with the highest counts, highest first (ties in address order).
  std::vector<Entry> top(std::size_t n) const;

  std::size_t size() const { return heap_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t total() const { return total_; }  // N: the weight added since clear()

  void clear();

 private:
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void swap_entries(std::size_t a, std::size_t b);

  std::size_t capacity_;
  std::uint64_t total_ = 0;
  std::vector<Entry> heap_;  // a min-heap on count: the root is the counter to replace
  absl::flat_hash_map<IpAddress, std::size_t> position_;  // client -> index in heap_
};

}  // namespace weir
