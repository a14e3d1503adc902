// weir::IpAddress: an IPv4 or IPv6 address in one fixed-size value.
//
// IPv4 addresses are held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so an IPv4 client seen over an
// IPv6 socket and over an IPv4 socket is the same client, and one CIDR set covers both.
//
//   auto ip = weir::IpAddress::parse("2001:db8::1");
//   auto peer = weir::IpAddress::parse_host_port("[2001:db8::1]:443");
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir {

class IpAddress {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  IpAddress() = default;  // ::
  explicit IpAddress(const Bytes& bytes) : bytes_(bytes) {}
  static IpAddress from_v4(std::uint32_t host_order);

  // A bare address: dotted-quad IPv4 (exactly four decimal parts, no leading zeros) or IPv6
  // text (RFC 4291, with an optional trailing dotted quad). Zone ids, brackets and ports are
  // rejected. Never throws.
  static std::optional<IpAddress> parse(std::string_view text);

  // An address as it appears in a peer or header: "a.b.c.d", "a.b.c.d:port", "v6", "[v6]" or
  // "[v6]:port". Surrounding spaces and tabs are ignored. Never throws.
  static std::optional<IpAddress> parse_host_port(std::string_view text);

  bool is_v4() const;        // an IPv4-mapped address
  std::uint32_t v4() const;  // host order; only meaningful when is_v4()
  const Bytes& bytes() const { return bytes_; }

  // The first `bits` bits kept, the rest zero. `bits` counts in the 128-bit space: an IPv4 /24
  // is 96 + 24. Values above 128 are treated as 128.
  IpAddress masked(int bits) const;

  // Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (lowercase, longest zero run
  // compressed).
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& ip) {
    return H::combine_contiguous(std::move(h), ip.bytes_.data(), ip.bytes_.size());
  }

 private:
  Bytes bytes_{};
};

}  // namespace weir
