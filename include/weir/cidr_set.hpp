// weir::CidrSet: a set of networks answering "is this address in any of them" quickly.
//
// Built once (at start-up or reload) and then read concurrently without locks. Lookups cost
// O(prefix lengths present), independent of how many networks the set holds.
//
//   weir::CidrSet blocked;
//   blocked.insert(*weir::Cidr::parse("198.51.100.0/24"));
//   bool hit = blocked.contains(*weir::IpAddress::parse("198.51.100.7"));
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "weir/cidr.hpp"

namespace weir {

class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(const std::vector<Cidr>& networks);

  // Not thread-safe against concurrent readers: fill the set before sharing it.
  void insert(const Cidr& network);
  bool erase(const Cidr& network);

  bool contains(const IpAddress& ip) const { return longest_match(ip).has_value(); }
  // The most specific network that holds `ip`.
  std::optional<Cidr> longest_match(const IpAddress& ip) const;

  std::size_t size() const;
  bool empty() const { return size() == 0; }
  std::vector<Cidr> networks() const;  // sorted, for listing
};

}  // namespace weir
