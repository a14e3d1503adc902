// Parsing and printing of weir::Cidr.
#include "weir/cidr.hpp"

#include <cstddef>

namespace weir {
namespace {

constexpr int kV4MappedBits = 96;  // the ::ffff:0:0/96 prefix in front of every IPv4 address

// A prefix length: decimal, no sign, no leading zero, at most `max`. -1 when invalid.
int parse_length(std::string_view text, int max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return -1;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value <= max ? value : -1;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);

  const std::optional<IpAddress> address = IpAddress::parse(address_text);
  if (!address) return std::nullopt;
  if (slash == std::string_view::npos) return Cidr{*address, 128};

  // The length counts in the family the address was written in: "10.0.0.0/8" is IPv4 and means
  // 96 + 8 bits of the mapped form, while "::ffff:10.0.0.0/104" says the same in IPv6 terms.
  const bool written_as_v4 = address_text.find(':') == std::string_view::npos;
  const int length = parse_length(text.substr(slash + 1), written_as_v4 ? 32 : 128);
  if (length < 0) return std::nullopt;
  const int bits = written_as_v4 ? kV4MappedBits + length : length;

  if (address->masked(bits) != *address) return std::nullopt;  // host bits set: likely a typo
  return Cidr{*address, bits};
}

std::string Cidr::to_string() const {
  // A network inside the mapped space (which takes at least 96 bits to say) prints as IPv4.
  if (bits >= kV4MappedBits && network.is_v4()) {
    return network.to_string() + '/' + std::to_string(bits - kV4MappedBits);
  }
  return network.to_string() + '/' + std::to_string(bits);
}

}  // namespace weir
