// Inputs shared by weir's micro-benchmarks: reproducible pseudo-random addresses and networks.
//
//   weir::bench::Rng rng(42);
//   weir::IpAddress a = weir::bench::random_v4(rng);
//   weir::CidrSet set = weir::bench::blocklist_v4(rng, 10'000);
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "weir/cidr.hpp"
#include "weir/cidr_set.hpp"
#include "weir/ip_address.hpp"

namespace weir::bench {

using Rng = std::mt19937_64;

inline IpAddress random_v4(Rng& rng) {
  return IpAddress::from_v4(static_cast<std::uint32_t>(rng()));
}

inline IpAddress random_v6(Rng& rng) {
  IpAddress::Bytes bytes{};
  const std::uint64_t high = rng();
  const std::uint64_t low = rng();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  bytes[0] = 0x20;  // global unicast 2000::/3, never the IPv4-mapped range
  return IpAddress(bytes);
}

// A blocklist as operators keep them: mostly single hosts and /24s, a few wider networks (10,000
// of these cover about 2% of the IPv4 space). Lengths are in the 128-bit space (/24 is 96 + 24).
inline std::vector<Cidr> networks_v4(Rng& rng, std::size_t count) {
  static constexpr std::array<int, 10> kLengths = {32, 32, 32, 32, 32, 24, 24, 24, 20, 16};
  std::vector<Cidr> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int bits = 96 + kLengths[rng() % kLengths.size()];
    out.push_back({random_v4(rng).masked(bits), bits});
  }
  return out;
}

inline std::vector<Cidr> networks_v6(Rng& rng, std::size_t count) {
  static constexpr std::array<int, 8> kLengths = {128, 128, 64, 64, 56, 48, 48, 32};
  std::vector<Cidr> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int bits = kLengths[rng() % kLengths.size()];
    out.push_back({random_v6(rng).masked(bits), bits});
  }
  return out;
}

// An address inside `network`: its host bits filled at random.
inline IpAddress address_in(Rng& rng, const Cidr& network) {
  IpAddress::Bytes bytes = network.network.bytes();
  const IpAddress noise = random_v6(rng);
  for (int bit = network.bits; bit < 128; ++bit) {
    const int byte = bit / 8;
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    bytes[byte] = static_cast<std::uint8_t>((bytes[byte] & ~mask) | (noise.bytes()[byte] & mask));
  }
  return IpAddress(bytes);
}

}  // namespace weir::bench
