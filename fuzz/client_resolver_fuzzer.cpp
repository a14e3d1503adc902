// Fuzzes client resolution from X-Forwarded-For and Forwarded (weir/client_resolver.hpp): the
// header value is the input, sent by a trusted proxy, so the whole walk runs. The result must
// always be the peer, a trusted hop, or an address that appears in the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "weir/client_resolver.hpp"

namespace {

weir::ClientResolver make(weir::ForwardedHeader header) {
  weir::ClientResolverOptions options;
  options.trusted_proxies.insert(*weir::Cidr::parse("10.0.0.0/8"));
  options.trusted_proxies.insert(*weir::Cidr::parse("2001:db8::/32"));
  options.header = header;
  options.max_hops = 8;
  return weir::ClientResolver(std::move(options));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const weir::ClientResolver xff = make(weir::ForwardedHeader::kXForwardedFor);
  static const weir::ClientResolver forwarded = make(weir::ForwardedHeader::kForwarded);
  static const weir::IpAddress peer = *weir::IpAddress::parse("10.1.2.3");

  std::string_view value(reinterpret_cast<const char*>(data), size);
  for (const weir::ClientResolver* resolver : {&xff, &forwarded}) {
    const weir::IpAddress client = resolver->resolve(peer, value);
    const weir::IpAddress key = resolver->key_of(client);
    // An IPv4 key is the client itself; an IPv6 key is its /64.
    if (client.is_v4() && !(key == client)) std::abort();
    if (!(key == key.masked(client.is_v4() ? 128 : 64))) std::abort();
  }
  return 0;
}
