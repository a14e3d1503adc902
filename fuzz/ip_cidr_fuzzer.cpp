// Fuzzes address and network parsing (IpAddress::parse, parse_host_port, Cidr::parse) and
// checks that whatever parses survives a round trip through its canonical text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "weir/cidr.hpp"
#include "weir/cidr_set.hpp"
#include "weir/ip_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto ip = weir::IpAddress::parse(text)) {
    auto again = weir::IpAddress::parse(ip->to_string());
    if (!again || !(*again == *ip)) std::abort();
  }
  if (auto ip = weir::IpAddress::parse_host_port(text)) {
    auto again = weir::IpAddress::parse(ip->to_string());
    if (!again || !(*again == *ip)) std::abort();
  }
  if (auto cidr = weir::Cidr::parse(text)) {
    auto again = weir::Cidr::parse(cidr->to_string());
    if (!again || !(*again == *cidr)) std::abort();
    if (!cidr->contains(cidr->network)) std::abort();
    weir::CidrSet set;
    set.insert(*cidr);
    if (!set.contains(cidr->network)) std::abort();
  }
  return 0;
}
