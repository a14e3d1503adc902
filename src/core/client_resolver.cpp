// weir::ClientResolver: walking X-Forwarded-For and Forwarded from the right.
#include "weir/client_resolver.hpp"

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "weir/blanks.hpp"

namespace weir {
namespace {

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Splits the last element off `rest` at the last ',' outside a quoted string, scanning from the
// right so that only as much of the header is read as the walk needs. `rest` keeps what lies
// before the separator; `more` says whether there was one.
std::string_view take_last_element(std::string_view& rest, bool& more) {
  bool quoted = false;
  for (std::size_t i = rest.size(); i > 0; --i) {
    const char c = rest[i - 1];
    if (c == '"') {
      if (!quoted) {
        quoted = true;
        continue;
      }
      // Seen from the right, a quote opens the string unless a quoted-pair escapes it: an odd
      // number of backslashes in front of it.
      std::size_t backslashes = 0;
      while (backslashes < i - 1 && rest[i - 2 - backslashes] == '\\')
        ++backslashes;
      if (backslashes % 2 == 0) quoted = false;
    } else if (c == ',' && !quoted) {
      const std::string_view element = rest.substr(i);
      rest = rest.substr(0, i - 1);
      more = true;
      return element;
    }
  }
  const std::string_view element = rest;
  rest = {};
  more = false;
  return element;
}

// RFC 7239 obfuscated port: '_' then one or more of ALPHA DIGIT . _ -.
bool is_obfuscated_port(std::string_view text) {
  if (text.size() < 2 || text[0] != '_') return false;
  for (char c : text.substr(1)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The address in a Forwarded `for=` node: "192.0.2.1", "[2001:db8::1]:4711", or the same with
// an obfuscated port, which is dropped since the address is still known. "unknown" and
// obfuscated identifiers ("_hidden") are not addresses.
std::optional<IpAddress> parse_node(std::string_view node) {
  std::size_t port_colon = std::string_view::npos;
  if (!node.empty() && node.front() == '[') {
    const std::size_t close = node.find(']');
    if (close != std::string_view::npos && close + 1 < node.size()) port_colon = close + 1;
  } else {
    const std::size_t colon = node.find(':');
    if (colon != std::string_view::npos && node.find(':', colon + 1) == std::string_view::npos) {
      port_colon = colon;
    }
  }
  if (port_colon != std::string_view::npos && node[port_colon] == ':' &&
      is_obfuscated_port(node.substr(port_colon + 1))) {
    node = node.substr(0, port_colon);
  }
  return IpAddress::parse_host_port(node);
}

// The `for=` address of one Forwarded element ("for=192.0.2.1;proto=https;by=10.0.0.1"), or
// nullopt when the element has none, has two, or is malformed.
std::optional<IpAddress> forwarded_for(std::string_view element) {
  std::optional<std::string_view> value;
  std::size_t pair_start = 0;
  bool quoted = false;

  for (std::size_t i = 0; i <= element.size(); ++i) {
    if (i < element.size()) {
      const char c = element[i];
      if (quoted) {
        if (c == '\\' && i + 1 < element.size()) {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
        continue;
      }
      if (c == '"') quoted = true;
      if (c != ';') continue;
    }

    // A whole pair, name=value, ends here.
    const std::string_view pair = trim_blanks(element.substr(pair_start, i - pair_start));
    pair_start = i + 1;
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    if (!equals_ignoring_case(pair.substr(0, equals), "for")) continue;
    if (value) return std::nullopt;  // a parameter may appear once per element
    value = pair.substr(equals + 1);
  }
  if (!value) return std::nullopt;

  // A quoted value holding an escape or a stray quote is no address; refuse it whole rather than
  // unescape attacker text.
  std::string_view node = *value;
  if (!node.empty() && node.front() == '"') {
    if (node.size() < 2 || node.back() != '"') return std::nullopt;
    node = node.substr(1, node.size() - 2);
  }
  if (node.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
  return parse_node(node);
}

}  // namespace

ClientResolver::ClientResolver(ClientResolverOptions options) : options_(std::move(options)) {
  if (options_.ipv6_prefix < 0 || options_.ipv6_prefix > 128) {
    throw std::invalid_argument("ipv6_prefix must be 0..128, got " +
                                std::to_string(options_.ipv6_prefix));
  }
  if (options_.max_hops < 1) {
    throw std::invalid_argument("max_hops must be at least 1, got " +
                                std::to_string(options_.max_hops));
  }
}

IpAddress ClientResolver::resolve(const IpAddress& peer, std::string_view forwarded_value) const {
  if (!options_.trusted_proxies.contains(peer)) return peer;
  if (options_.header == ForwardedHeader::kForwarded) return walk_forwarded(peer, forwarded_value);
  return walk_x_forwarded_for(peer, forwarded_value);
}

IpAddress ClientResolver::walk_x_forwarded_for(const IpAddress& peer,
                                               std::string_view value) const {
  IpAddress reached = peer;
  std::string_view rest = value;
  for (int hop = 0; hop < options_.max_hops; ++hop) {
    const std::size_t comma = rest.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);

    const std::optional<IpAddress> address = IpAddress::parse_host_port(entry);
    if (!address) return reached;
    reached = *address;
    if (!options_.trusted_proxies.contains(reached)) return reached;

    if (comma == std::string_view::npos) return reached;  // the leftmost, and all were trusted
    rest = rest.substr(0, comma);
  }
  return reached;
}

IpAddress ClientResolver::walk_forwarded(const IpAddress& peer, std::string_view value) const {
  IpAddress reached = peer;
  std::string_view rest = value;
  for (int hop = 0; hop < options_.max_hops; ++hop) {
    bool more = false;
    const std::string_view element = take_last_element(rest, more);

    const std::optional<IpAddress> address = forwarded_for(element);
    if (!address) return reached;
    reached = *address;
    if (!options_.trusted_proxies.contains(reached)) return reached;

    if (!more) return reached;
  }
  return reached;
}

IpAddress ClientResolver::key_of(const IpAddress& client) const {
  if (client.is_v4()) return client;
  return client.masked(options_.ipv6_prefix);
}

}  // namespace weir
