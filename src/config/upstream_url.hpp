// weir::config::UpstreamUrl: the service weir forwards to in proxy mode, parsed from a URL.
//
//   http://host[:port][/base/path]      port 80 when left out
//
//   auto url = weir::config::parse_upstream_url("http://127.0.0.1:3000/base/");
//   url.host;         // "127.0.0.1"
//   url.port;         // 3000
//   url.base_path;    // "/base": prepended to every forwarded target, trailing slash dropped
//   url.authority();  // "127.0.0.1:3000", the Host sent when the client sent none
//
// The host is an IPv4 address, a bracketed IPv6 address or a host name; a name is resolved each
// time weir opens a connection to it, so it follows DNS changes (as docker-compose service
// names do). TLS (https://), credentials, queries and fragments are refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weir::config {

struct UpstreamUrl {
  std::string host;         // a host name or IP address, without brackets
  std::uint16_t port = 80;  // 1..65535
  std::string base_path;    // empty, or starts with '/' and does not end with one

  // "host:port" ("[v6]:port"), with ":port" left out when it is 80, as a Host header writes it.
  std::string authority() const;

  // The URL in canonical form: "http://host:port/base".
  std::string to_string() const;

  friend bool operator==(const UpstreamUrl&, const UpstreamUrl&) = default;
};

// Parses and validates an upstream URL. Throws weir::ConfigError naming the URL and what is
// wrong; the caller adds file and key.
UpstreamUrl parse_upstream_url(std::string_view text);

// True when `text` can be sent as a Host header value: a host name or IP address (IPv6 in
// brackets), with an optional ":port". Used for the upstream_host override.
bool is_host_header_value(std::string_view text);

}  // namespace weir::config
