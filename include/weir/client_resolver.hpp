// weir::ClientResolver: who the client of a request is, and the key its budget is kept under.
//
// The socket peer is the client, unless the peer is a trusted proxy. Only then is the forwarding
// header read, and only from the right: each proxy appends the address it received the request
// from, so the right end is written by proxies weir trusts and the left end by whoever sent the
// request, who may write anything. Reading the leftmost entry would let every client pick its
// own identity, and with it a fresh budget per request.
//
//   weir::ClientResolverOptions options;
//   options.trusted_proxies.insert(*weir::Cidr::parse("10.0.0.0/8"));
//   weir::ClientResolver resolver(std::move(options));
//   auto peer = *weir::IpAddress::parse("10.0.0.5");
//   auto client = resolver.resolve(peer, "203.0.113.9, 198.51.100.7, 10.0.0.2");
//   // client == 198.51.100.7: 10.0.0.2 is a trusted hop, 203.0.113.9 could be forged
//   weir::RateKey key{rule, resolver.key_of(client)};
#pragma once

#include <string_view>

#include "weir/cidr_set.hpp"
#include "weir/ip_address.hpp"

namespace weir {

// Which header the trusted proxies set.
enum class ForwardedHeader {
  kXForwardedFor,  // X-Forwarded-For: 203.0.113.9, 198.51.100.7
  kForwarded,      // RFC 7239 Forwarded: for=203.0.113.9, for="[2001:db8::1]:4711"
};

struct ClientResolverOptions {
  // Peers whose forwarding header is believed. Empty: the header is never read.
  CidrSet trusted_proxies;
  // IPv6 clients are keyed by this prefix (0..128): one subscriber usually holds a whole /64 and
  // can rotate through it at will, so a per-address key would give it 2^64 budgets.
  int ipv6_prefix = 64;
  ForwardedHeader header = ForwardedHeader::kXForwardedFor;
  // Entries read at most (>= 1), bounding the work an attacker's huge header can cause.
  int max_hops = 32;
};

// Immutable after construction; thread-safe for concurrent callers.
class ClientResolver {
 public:
  // Throws std::invalid_argument, naming the option and value, when ipv6_prefix is outside
  // 0..128 or max_hops is below 1.
  explicit ClientResolver(ClientResolverOptions options);

  // The client address of a request that arrived from `peer`. `forwarded_value` is every line of
  // the configured header joined with ", " (empty if there is none).
  //
  // When `peer` is a trusted proxy, the header's entries are walked from the right: trusted
  // entries are skipped and the first untrusted one is the client. If every entry is trusted,
  // the leftmost is. An empty or unparsable entry (garbage, "unknown", an obfuscated "_name")
  // ends the walk, and so does reading max_hops entries; the client is then the last address
  // reached, the nearest trusted hop, never text the sender chose. Never throws, allocates
  // nothing.
  IpAddress resolve(const IpAddress& peer, std::string_view forwarded_value) const;

  // The key a client's state is kept under: IPv6 masked to ipv6_prefix; IPv4 unchanged.
  IpAddress key_of(const IpAddress& client) const;

  const ClientResolverOptions& options() const { return options_; }

 private:
  IpAddress walk_x_forwarded_for(const IpAddress& peer, std::string_view value) const;
  IpAddress walk_forwarded(const IpAddress& peer, std::string_view value) const;

  ClientResolverOptions options_;
};

}  // namespace weir
