#include "config/redis_url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "config/config_error.hpp"
#include "config/host_name.hpp"
#include "config/quote.hpp"
#include "weir/ip_address.hpp"

namespace weir::config {

namespace {

constexpr std::string_view kForms =
    "use redis://[user:password@]host[:port][/db], unix:///path[?db=N] or "
    "redis-cluster://[user:password@]host[:port],host[:port],...";

// sockaddr_un::sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;
constexpr std::uint32_t kMaxDb = std::numeric_limits<std::int32_t>::max();

[[noreturn]] void fail(std::string_view text, std::string_view reason) {
  throw ConfigError(
      fmt::format("{} is not a redis url: {} ({})", quote(redact_redis_url(text)), reason, kForms));
}

std::optional<std::uint64_t> parse_digits(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding, so a password may hold '@', ':' or '/'.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    out += plain ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

// "user:password": both may be percent-encoded; a user alone cannot authenticate.
void parse_userinfo(std::string_view text, std::string_view userinfo, RedisUrl& url) {
  const auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) fail(text, "credentials need a password (user:password@)");

  const auto user = percent_decode(userinfo.substr(0, colon));
  if (!user) fail(text, "the user has a bad percent-escape");
  const auto password = percent_decode(userinfo.substr(colon + 1));
  if (!password) fail(text, "the password has a bad percent-escape");
  if (password->empty()) fail(text, "the password is empty");

  url.user = *user;
  url.password = *password;
}

// "host", "host:port", "[v6]" or "[v6]:port".
void parse_host_port(std::string_view text, std::string_view authority, RedisUrl& url) {
  std::string_view host = authority;
  std::optional<std::string_view> port;

  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) fail(text, "the '[' before an IPv6 host is not closed");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) fail(text, "expected ':port' after ']'");
    if (!after.empty()) port = after.substr(1);
    if (host.find(':') == std::string_view::npos || !IpAddress::parse(host)) {
      fail(text, fmt::format("{} is not an IPv6 address", quote(host)));
    }
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (port && port->find(':') != std::string_view::npos) {
      fail(text, "an IPv6 host must be written in brackets, as in redis://[::1]:6379");
    }
    if (host.empty()) fail(text, "the host is missing");

    // All digits and dots: meant as IPv4, so it must be one ("10.0.0.300" is not a name).
    const bool dotted = host.find_first_not_of("0123456789.") == std::string_view::npos;
    if (dotted && !IpAddress::parse(host)) {
      fail(text, fmt::format("{} is not an IPv4 address", quote(host)));
    }
    if (!dotted && !is_host_name(host)) {
      fail(text, fmt::format("{} is not a host name or IP address", quote(host)));
    }
  }

  url.host = std::string(host);
  if (port) {
    const auto number = parse_digits(*port);
    if (!number || *number < 1 || *number > 65535) {
      fail(text, fmt::format("the port {} is not a number in 1..65535", quote(*port)));
    }
    url.port = static_cast<std::uint16_t>(*number);
  }
}

void parse_db(std::string_view text, std::string_view db, RedisUrl& url) {
  const auto number = parse_digits(db);
  if (!number || *number > kMaxDb) {
    fail(text, fmt::format("the database {} is not a number in 0..{}", quote(db), kMaxDb));
  }
  url.db = static_cast<std::uint32_t>(*number);
}

RedisUrl parse_tcp(std::string_view text, std::string_view rest) {
  RedisUrl url;
  url.scheme = RedisUrl::Scheme::kTcp;

  // The last '@' ends the credentials: the host and db never contain one.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    parse_userinfo(text, rest.substr(0, at), url);
    rest = rest.substr(at + 1);
  }
  if (rest.find('?') != std::string_view::npos) {
    fail(text, "redis:// takes no query parameters; put the db in the path: /2");
  }

  const auto slash = rest.find('/');
  parse_host_port(text, rest.substr(0, slash), url);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    parse_db(text, rest.substr(slash + 1), url);
  }
  return url;
}

RedisUrl parse_unix(std::string_view text, std::string_view rest) {
  RedisUrl url;
  url.scheme = RedisUrl::Scheme::kUnix;

  // Credentials end at the "@/" that starts the absolute path.
  if (rest.empty()) fail(text, "the socket path is missing");
  if (!rest.starts_with('/')) {
    const auto at = rest.find("@/");
    if (at == std::string_view::npos) fail(text, "the socket path must be absolute: unix:///path");
    parse_userinfo(text, rest.substr(0, at), url);
    rest = rest.substr(at + 1);
  }

  const auto question = rest.find('?');
  const auto path = rest.substr(0, question);
  if (path.size() < 2) fail(text, "the socket path is missing");
  if (path.size() > kMaxSocketPath) {
    fail(text, fmt::format("the socket path is longer than {} bytes", kMaxSocketPath));
  }
  url.path = std::string(path);

  if (question != std::string_view::npos) {
    const auto query = rest.substr(question + 1);
    if (!query.starts_with("db=")) {
      fail(text, fmt::format("unknown parameter {} (the only one is db=N)", quote(query)));
    }
    parse_db(text, query.substr(3), url);
  }
  return url;
}

// "host:port,host:port,...": every seed is a host and optional port, as in redis://.
RedisUrl parse_cluster(std::string_view text, std::string_view rest) {
  RedisUrl url;
  url.scheme = RedisUrl::Scheme::kCluster;

  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    parse_userinfo(text, rest.substr(0, at), url);
    rest = rest.substr(at + 1);
  }
  if (rest.find('?') != std::string_view::npos || rest.find('/') != std::string_view::npos) {
    fail(text, "redis-cluster:// takes no database or parameters (a cluster has only db 0)");
  }
  if (rest.empty()) fail(text, "no seed node is given");

  while (true) {
    const auto comma = rest.find(',');
    const auto seed_text = rest.substr(0, comma);
    if (seed_text.empty()) fail(text, "a seed node is empty (two commas, or a comma at an end)");
    RedisUrl seed;
    parse_host_port(text, seed_text, seed);
    const RedisSeed parsed{seed.host, seed.port};
    if (std::find(url.seeds.begin(), url.seeds.end(), parsed) != url.seeds.end()) {
      fail(text, fmt::format("the seed node {} is given twice", quote(seed_text)));
    }
    url.seeds.push_back(parsed);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  url.host = url.seeds.front().host;
  url.port = url.seeds.front().port;
  return url;
}

}  // namespace

RedisUrl parse_redis_url(std::string_view text) {
  if (text.empty()) fail(text, "it is empty");
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) fail(text, "it contains a space or control character");
  }

  if (text.starts_with("redis://")) return parse_tcp(text, text.substr(8));
  if (text.starts_with("unix://")) return parse_unix(text, text.substr(7));
  if (text.starts_with("redis-cluster://")) return parse_cluster(text, text.substr(16));
  if (text.starts_with("rediss://")) fail(text, "TLS (rediss://) is not supported");
  fail(text, "the scheme must be redis://, unix:// or redis-cluster://");
}

std::string redact_redis_url(std::string_view text) {
  const auto scheme_end = text.find("://");
  const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(text);

  const auto userinfo = text.substr(start, at - start);
  const auto colon = userinfo.find(':');
  const auto keep = colon == std::string_view::npos ? start : start + colon + 1;
  return fmt::format("{}***{}", text.substr(0, keep), text.substr(at));
}

std::string RedisUrl::redacted() const {
  std::string credentials;
  if (!password.empty()) credentials = percent_encode(user) + ":***@";

  if (scheme == Scheme::kUnix) {
    const auto query = db == 0 ? std::string() : fmt::format("?db={}", db);
    return fmt::format("unix://{}{}{}", credentials, path, query);
  }
  const auto shown = [](const std::string& name) {
    return name.find(':') != std::string::npos ? "[" + name + "]" : name;
  };
  if (scheme == Scheme::kCluster) {
    std::string nodes;
    for (const RedisSeed& seed : seeds) {
      if (!nodes.empty()) nodes += ',';
      nodes += fmt::format("{}:{}", shown(seed.host), seed.port);
    }
    return fmt::format("redis-cluster://{}{}", credentials, nodes);
  }
  const auto shown_host = shown(host);
  return fmt::format("redis://{}{}:{}/{}", credentials, shown_host, port, db);
}

}  // namespace weir::config
