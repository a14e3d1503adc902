// weir::RateKey: whose budget a request spends: one rule, one client.
//
// Fixed size, so the number of distinct keys an attacker can create is bounded by the address
// space it controls (and the IPv6 prefix it is keyed by), never by text it chooses.
#pragma once

#include <cstdint>
#include <utility>

#include "weir/ip_address.hpp"

namespace weir {

struct RateKey {
  std::uint32_t rule = 0;  // the rule's stable id (Limiter: a hash of its name)
  IpAddress client;        // the client address, masked to the configured IPv6 prefix

  friend bool operator==(const RateKey&, const RateKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const RateKey& key) {
    return H::combine(std::move(h), key.rule, key.client);
  }
};

}  // namespace weir
