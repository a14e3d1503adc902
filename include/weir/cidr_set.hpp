// weir::CidrSet: a set of networks answering "is this address in any of them" quickly.
//
// Built once (at start-up or reload) and then read concurrently without locks. Lookups cost
// O(prefix lengths present), independent of how many networks the set holds.
//
//   weir::CidrSet blocked;
//   blocked.insert(*weir::Cidr::parse("198.51.100.0/24"));
//   bool hit = blocked.contains(*weir::IpAddress::parse("198.51.100.7"));
//
// Layout: one hash set of masked networks per prefix length present, probed from the longest
// length down; the first hit is the longest match. Real lists use few distinct lengths (a
// blocklist of 10,000 entries typically holds /8../32 and a handful of IPv6 lengths), so a
// lookup is a few probes of one cache line each, each a mask of two 64-bit words and one hash.
// A binary trie would instead chase up to 128 pointers for an IPv6 address, one cache miss each,
// and its cost would grow with the set. Insert and erase stay O(1), so the set can be built
// incrementally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "weir/cidr.hpp"

namespace weir {

class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(const std::vector<Cidr>& networks);

  // Not thread-safe against concurrent readers: fill the set before sharing it. Host bits below
  // the prefix are cleared; inserting a network already present changes nothing.
  void insert(const Cidr& network);
  // True when the network was present.
  bool erase(const Cidr& network);

  bool contains(const IpAddress& ip) const { return longest_match(ip).has_value(); }
  // The most specific network that holds `ip`.
  std::optional<Cidr> longest_match(const IpAddress& ip) const;

  std::size_t size() const { return size_; }
  bool empty() const { return size() == 0; }
  std::vector<Cidr> networks() const;  // sorted, for listing

 private:
  // An address as two big-endian 64-bit words, so masking is two ANDs.
  struct Key {
    std::uint64_t high = 0;
    std::uint64_t low = 0;

    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& key) {
      return H::combine(std::move(h), key.high, key.low);
    }
  };

  // All networks of one prefix length.
  struct Level {
    int bits = 0;
    Key mask;
    absl::flat_hash_set<Key> networks;
  };

  static Key key_of(const IpAddress& ip);
  static IpAddress address_of(const Key& key);

  std::vector<Level> levels_;  // by `bits`, longest first
  std::size_t size_ = 0;
};

}  // namespace weir
