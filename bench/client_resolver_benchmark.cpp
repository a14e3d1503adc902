// ClientResolver: the client of a request behind trusted proxies, read from the right of a long
// X-Forwarded-For (or Forwarded) header, and the untrusted peer whose header is never read.
#include <benchmark/benchmark.h>

#include <string>

#include "weir/client_resolver.hpp"

namespace {

using weir::Cidr;
using weir::ClientResolver;
using weir::ClientResolverOptions;
using weir::ForwardedHeader;
using weir::IpAddress;

ClientResolver make_resolver(ForwardedHeader header) {
  ClientResolverOptions options;
  options.trusted_proxies.insert(*Cidr::parse("10.0.0.0/8"));
  options.trusted_proxies.insert(*Cidr::parse("fd00::/8"));
  options.header = header;
  return ClientResolver(std::move(options));
}

// Forged entries on the left, the client, then `hops` trusted proxies on the right.
std::string chain(int hops, ForwardedHeader header) {
  const bool xff = header == ForwardedHeader::kXForwardedFor;
  std::string value = xff ? "1.2.3.4, 5.6.7.8, 203.0.113.9"
                          : "for=1.2.3.4, for=5.6.7.8, "
                            "for=\"[2001:db8::9]:4711\"";
  for (int i = 0; i < hops; ++i) {
    value += xff ? ", 10.0." : ", for=10.0.";
    value += std::to_string(i / 256) + "." + std::to_string(i % 256 + 1);
  }
  return value;
}

void run(benchmark::State& state, ForwardedHeader header, bool trusted_peer) {
  const ClientResolver resolver = make_resolver(header);
  const int hops = static_cast<int>(state.range(0));
  const std::string value = chain(hops, header);
  const IpAddress peer = *IpAddress::parse(trusted_peer ? "10.255.0.1" : "198.51.100.1");
  for (auto _ : state) {
    IpAddress client = resolver.key_of(resolver.resolve(peer, value));
    benchmark::DoNotOptimize(client);
  }
  state.counters["header_bytes"] = static_cast<double>(value.size());
}

void BM_ResolveClient_XForwardedFor(benchmark::State& s) {
  run(s, ForwardedHeader::kXForwardedFor, true);
}
void BM_ResolveClient_Forwarded(benchmark::State& s) {
  run(s, ForwardedHeader::kForwarded, true);
}
void BM_ResolveClient_UntrustedPeer(benchmark::State& s) {
  run(s, ForwardedHeader::kXForwardedFor, false);
}

// Hops: one proxy, a long chain, and past max_hops (32), where the walk stops.
BENCHMARK(BM_ResolveClient_XForwardedFor)->Arg(1)->Arg(8)->Arg(30)->Arg(60);
BENCHMARK(BM_ResolveClient_Forwarded)->Arg(1)->Arg(8)->Arg(30);
BENCHMARK(BM_ResolveClient_UntrustedPeer)->Arg(8);

}  // namespace
