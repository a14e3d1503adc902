#include "config/upstream_url.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "config/config_error.hpp"
#include "config/host_name.hpp"
#include "config/quote.hpp"
#include "weir/ip_address.hpp"

namespace weir::config {

namespace {

constexpr std::string_view kForm = "use http://host[:port][/path]";

[[noreturn]] void fail(std::string_view text, std::string_view reason) {
  throw ConfigError(fmt::format("{} is not an upstream url: {} ({})", quote(text), reason, kForm));
}

// A path character of RFC 3986 (pchar or '/'), or the start of a percent-escape.
bool is_path_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@/%").find(c) != std::string_view::npos;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

struct HostPort {
  std::string_view host;  // without brackets
  std::optional<std::string_view> port;
  std::string_view error;  // empty when well formed
};

// "host", "host:port", "[v6]" or "[v6]:port".
HostPort split_host_port(std::string_view authority) {
  HostPort out{authority, std::nullopt, {}};
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return {{}, {}, "the '[' before an IPv6 host is not closed"};
    out.host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return {{}, {}, "expected ':port' after ']'"};
    if (!after.empty()) out.port = after.substr(1);
    if (out.host.find(':') == std::string_view::npos || !IpAddress::parse(out.host)) {
      return {{}, {}, "the bracketed host is not an IPv6 address"};
    }
    return out;
  }

  const auto colon = authority.find(':');
  if (colon != std::string_view::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
    if (out.port->find(':') != std::string_view::npos) {
      return {{}, {}, "an IPv6 host must be written in brackets, as in http://[::1]:3000"};
    }
  }
  if (out.host.empty()) return {{}, {}, "the host is missing"};

  // All digits and dots: meant as IPv4, so it must be one ("10.0.0.300" is not a name).
  const bool dotted = out.host.find_first_not_of("0123456789.") == std::string_view::npos;
  if (dotted ? !IpAddress::parse(out.host) : !is_host_name(out.host)) {
    return {{}, {}, "the host is not a host name or IP address"};
  }
  return out;
}

}  // namespace

UpstreamUrl parse_upstream_url(std::string_view text) {
  if (text.empty()) fail(text, "it is empty");
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) fail(text, "it contains a space or control character");
  }
  if (text.starts_with("https://")) fail(text, "TLS (https://) upstreams are not supported");
  if (!text.starts_with("http://")) fail(text, "the scheme must be http://");
  std::string_view rest = text.substr(7);

  if (rest.find_first_of("?#") != std::string_view::npos) {
    fail(text, "it may not have a query or fragment");
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) fail(text, "it may not hold credentials");

  const HostPort parts = split_host_port(authority);
  if (!parts.error.empty()) fail(text, parts.error);
  UpstreamUrl url;
  url.host = std::string(parts.host);
  if (parts.port) {
    const auto port = parse_port(*parts.port);
    if (!port)
      fail(text, fmt::format("the port {} is not a number in 1..65535", quote(*parts.port)));
    url.port = *port;
  }

  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (!is_path_char(path[i])) fail(text, "the path holds a character that needs escaping");
      if (path[i] == '%' &&
          (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))) {
        fail(text, "the path has a bad percent-escape");
      }
    }
    // Targets start with '/', so "/base/" + "/x" would double the slash.
    while (path.ends_with('/'))
      path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  return url;
}

bool is_host_header_value(std::string_view text) {
  const HostPort parts = split_host_port(text);
  if (!parts.error.empty()) return false;
  return !parts.port || parse_port(*parts.port).has_value();
}

std::string UpstreamUrl::authority() const {
  const bool bracket = host.find(':') != std::string::npos;
  std::string out = bracket ? "[" + host + "]" : host;
  if (port != 80) out += fmt::format(":{}", port);
  return out;
}

std::string UpstreamUrl::to_string() const {
  const bool bracket = host.find(':') != std::string::npos;
  return fmt::format("http://{}:{}{}", bracket ? "[" + host + "]" : host, port, base_path);
}

}  // namespace weir::config
