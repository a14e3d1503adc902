#include "config/listen_address.hpp"

#include <charconv>

#include "weir/ip_address.hpp"

namespace weir::config {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  // Digits only: from_chars alone would accept a leading '-'.
  if (text.empty() || text.size() > 5) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<ListenAddress> ListenAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;

  // An IPv6 host must be bracketed, since its colons would otherwise swallow the port.
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!IpAddress::parse(host) || host.find(':') == std::string_view::npos) return std::nullopt;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    const bool is_ip = IpAddress::parse(host) && host.find(':') == std::string_view::npos;
    if (host != "localhost" && !is_ip) return std::nullopt;
  }

  const auto port_number = parse_port(port);
  if (!port_number) return std::nullopt;
  return ListenAddress{std::string(host), *port_number};
}

std::string ListenAddress::to_string() const {
  const bool bracket = host.find(':') != std::string::npos;
  return (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace weir::config
