// weir::Cidr: one network, an address and a prefix length.
//
//   auto net = weir::Cidr::parse("198.51.100.0/24");   // IPv4: 96 + 24 bits of the mapped form
//   auto one = weir::Cidr::parse("2001:db8::1");       // no length: a single address
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "weir/ip_address.hpp"

namespace weir {

struct Cidr {
  IpAddress network;  // host bits are zero
  int bits = 128;     // prefix length in the 128-bit (IPv4-mapped) space

  // "addr/len" or a bare address (a single host). IPv4 lengths are 0..32, IPv6 0..128. Host bits
  // set below the prefix ("10.0.0.1/8") are rejected, as a likely typo, rather than silently
  // widened. Never throws.
  static std::optional<Cidr> parse(std::string_view text);

  bool contains(const IpAddress& ip) const { return ip.masked(bits) == network; }

  // Canonical text: "10.0.0.0/8", "2001:db8::/32"; IPv4 lengths are written 0..32.
  std::string to_string() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

}  // namespace weir
