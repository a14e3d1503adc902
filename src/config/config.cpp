#include "config/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "config/quote.hpp"
#include "config/yaml_field.hpp"
#include "weir/path.hpp"

namespace weir::config {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::int64_t kMaxThreads = 1024;
constexpr std::int64_t kMaxStoreConnections = 64;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUint32Max = std::numeric_limits<std::uint32_t>::max();
constexpr hours kMaxBanDuration{24 * 365};
constexpr std::size_t kMinAdminToken = 16;

const std::initializer_list<std::pair<std::string_view, LogLevel>> kLogLevels = {
    {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
    {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}, {"off", LogLevel::kOff},
};
const std::initializer_list<std::pair<std::string_view, StoreBackend>> kBackends = {
    {"memory", StoreBackend::kMemory},
    {"redis", StoreBackend::kRedis},
};
const std::initializer_list<std::pair<std::string_view, StoreErrorPolicy>> kErrorPolicies = {
    {"allow", StoreErrorPolicy::kAllow},
    {"deny", StoreErrorPolicy::kDeny},
    {"local", StoreErrorPolicy::kLocal},
};
const std::initializer_list<std::pair<std::string_view, ForwardedHeader>> kHeaders = {
    {"x-forwarded-for", ForwardedHeader::kXForwardedFor},
    {"forwarded", ForwardedHeader::kForwarded},
};
const std::initializer_list<std::pair<std::string_view, Mode>> kModes = {
    {"enforce", Mode::kEnforce},
    {"shadow", Mode::kShadow},
};
const std::initializer_list<std::pair<std::string_view, Algorithm>> kAlgorithms = {
    {"sliding_log", Algorithm::kSlidingLog},
    {"sliding_counter", Algorithm::kSlidingCounter},
    {"gcra", Algorithm::kGcra},
};

template <typename Enum>
std::string_view name_of(std::initializer_list<std::pair<std::string_view, Enum>> names,
                         Enum value) {
  for (const auto& [name, candidate] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

// The reference configuration: defaults plus the lists and routes a typical service starts from.
constexpr std::string_view kBuiltinYaml = R"(# weir's built-in configuration.
listen: "0.0.0.0:8000"
metrics_listen: "0.0.0.0:9090"
allowlist:
  - 10.0.0.0/8
  - 172.16.0.0/12
  - 192.168.0.0/16
blocklist:
  - 198.51.100.0/24
  - 203.0.113.42/32
limits:
  default: { requests: 100, window: 60s, algorithm: sliding_log }
  routes:
    - { prefix: /api/auth, requests: 10, window: 60s }
    - { prefix: /api/search, requests: 300, window: 60s }
)";

// Narrowing helpers: as_integer has already checked the bounds.
std::uint32_t as_u32(const YamlField& field, std::int64_t min, std::int64_t max) {
  return static_cast<std::uint32_t>(field.as_integer(min, max));
}

ListenAddress read_listen(const YamlField& field) {
  const std::string text = field.as_string();
  const auto address = ListenAddress::parse(text);
  if (!address) {
    field.fail(fmt::format(
        "{} is not a listen address (use host:port or [v6]:port, where host is an IP address or "
        "localhost and port is 0..65535)",
        quote(text)));
  }
  return *address;
}

std::vector<Cidr> read_cidrs(const YamlField& field) {
  std::vector<Cidr> out;
  for (const auto& item : field.items()) {
    const std::string text = item.as_string();
    const auto cidr = Cidr::parse(text);
    if (!cidr) {
      item.fail(fmt::format(
          "{} is not a CIDR (use 10.0.0.0/8, 2001:db8::/32 or a single address; the bits after "
          "the prefix length must be zero)",
          quote(text)));
    }
    out.push_back(*cidr);
  }
  return out;
}

// One rule's requests, window, algorithm and burst. A route must give requests and window; the
// default rule may leave them to their defaults.
Limit read_limit(const YamlField& field, bool is_route) {
  Limit limit;

  const auto requests = field.child("requests");
  if (requests.given()) {
    limit.requests = as_u32(requests, 1, kMaxRequests);
  } else if (is_route) {
    field.fail("a route needs requests (1..1000000)");
  }

  const auto window = field.child("window");
  if (window.given()) {
    limit.window =
        window.as_duration(milliseconds(1), std::chrono::duration_cast<milliseconds>(kMaxWindow));
  } else if (is_route) {
    field.fail("a route needs a window (such as 60s)");
  }

  if (const auto algorithm = field.child("algorithm"); algorithm.given()) {
    limit.algorithm = algorithm.as_choice(kAlgorithms);
  }

  // burst shapes only gcra; elsewhere it would be silently ignored, so refuse it.
  if (const auto burst = field.child("burst"); burst.given()) {
    if (limit.algorithm != Algorithm::kGcra) {
      burst.fail(fmt::format("burst applies only to algorithm gcra (this rule uses {})",
                             name_of(kAlgorithms, limit.algorithm)));
    }
    const std::int64_t max_burst = std::int64_t{kMaxBurstFactor} * limit.requests;
    limit.burst = as_u32(burst, 1, max_burst);
  }
  return limit;
}

LimitsConfig read_limits(const YamlField& field) {
  field.expect_map({"default", "routes"});
  LimitsConfig limits;

  const auto default_limit = field.child("default");
  default_limit.expect_map({"requests", "window", "algorithm", "burst", "mode"});
  limits.default_limit = read_limit(default_limit, false);
  if (const auto mode = default_limit.child("mode"); mode.given()) {
    limits.default_mode = mode.as_choice(kModes);
  }

  // Prefixes as weir::RuleSet will hold them, to find two spellings of one route.
  std::vector<std::string> normalized;
  for (const auto& item : field.child("routes").items()) {
    item.expect_map({"prefix", "requests", "window", "algorithm", "burst", "mode"});
    const auto prefix_field = item.child("prefix");
    if (!prefix_field.given()) item.fail("a route needs a prefix (such as /api/auth)");

    const std::string prefix = prefix_field.as_string();
    if (!prefix.starts_with('/')) prefix_field.fail(quote(prefix) + " must start with '/'");
    std::string canonical;
    const bool is_path = normalize_path(prefix, canonical) &&
                         std::none_of(prefix.begin(), prefix.end(),
                                      [](char c) { return c == ' ' || c == '?' || c == '#'; });
    if (!is_path) {
      prefix_field.fail(quote(prefix) +
                        " is not a path prefix (no spaces, control characters, '?' or '#'; "
                        "'%' only in escapes such as %20)");
    }
    if (canonical.size() > 1 && canonical.back() == '/') canonical.pop_back();

    for (std::size_t i = 0; i < normalized.size(); ++i) {
      if (normalized[i] == canonical) {
        prefix_field.fail(fmt::format("{} matches the same paths as limits.routes[{}] ({})",
                                      quote(prefix), i, quote(limits.routes[i].prefix)));
      }
    }

    normalized.push_back(canonical);
    RouteLimit route{prefix, read_limit(item, true), Mode::kEnforce};
    if (const auto mode = item.child("mode"); mode.given()) route.mode = mode.as_choice(kModes);
    limits.routes.push_back(std::move(route));
  }
  return limits;
}

StoreConfig read_store(const YamlField& field) {
  field.expect_map(
      {"backend", "max_keys", "redis_url", "timeout", "connections", "on_error", "instances"});
  StoreConfig store;

  const auto backend = field.child("backend");
  if (backend.given()) store.backend = backend.as_choice(kBackends);
  if (const auto f = field.child("max_keys"); f.given())
    store.max_keys = f.as_integer(1, kInt64Max);

  // An empty URL means "not set"; one that is set is checked even when backend is memory, so
  // switching the backend later cannot reveal a typo.
  const auto url = field.child("redis_url");
  if (url.given()) {
    const std::string text = url.as_string();
    if (!text.empty()) {
      try {
        store.redis_url = parse_redis_url(text);
      } catch (const ConfigError& error) {
        url.fail(error.what());  // the message already quotes the URL, password hidden
      }
    }
  }
  if (store.backend == StoreBackend::kRedis && !store.redis_url) {
    (url.given() ? url : backend)
        .fail(
            "store.backend is redis, so store.redis_url is required "
            "(such as redis://10.0.0.5:6379/0)");
  }

  if (const auto f = field.child("timeout"); f.given()) {
    store.timeout = f.as_duration(milliseconds(1), seconds(60));
  }
  if (const auto f = field.child("connections"); f.given()) {
    store.connections = as_u32(f, 1, kMaxStoreConnections);
  }
  if (const auto f = field.child("on_error"); f.given())
    store.on_error = f.as_choice(kErrorPolicies);
  if (const auto f = field.child("instances"); f.given()) {
    store.instances = as_u32(f, 1, kUint32Max);
  }
  return store;
}

ClientIpConfig read_client_ip(const YamlField& field) {
  field.expect_map({"trusted_proxies", "ipv6_prefix", "header"});
  ClientIpConfig client_ip;
  client_ip.trusted_proxies = read_cidrs(field.child("trusted_proxies"));
  if (const auto f = field.child("ipv6_prefix"); f.given()) {
    client_ip.ipv6_prefix = static_cast<int>(f.as_integer(1, 128));
  }
  if (const auto f = field.child("header"); f.given()) client_ip.header = f.as_choice(kHeaders);
  return client_ip;
}

TimeoutsConfig read_timeouts(const YamlField& field) {
  field.expect_map({"header", "body", "idle", "body_min_rate", "body_grace"});
  TimeoutsConfig timeouts;
  for (auto [key, target] :
       {std::pair{"header", &timeouts.header}, std::pair{"body", &timeouts.body},
        std::pair{"idle", &timeouts.idle}}) {
    if (const auto f = field.child(key); f.given())
      *target = f.as_duration(milliseconds(1), hours(1));
  }
  if (const auto f = field.child("body_min_rate"); f.given()) {
    timeouts.body_min_rate = as_u32(f, 0, std::int64_t{1} << 30);
  }
  if (const auto f = field.child("body_grace"); f.given()) {
    timeouts.body_grace = f.as_duration(milliseconds(0), hours(1));
  }
  return timeouts;
}

HttpLimitsConfig read_http_limits(const YamlField& field) {
  field.expect_map({"max_header_bytes", "max_headers", "max_uri_bytes", "max_body_bytes"});
  HttpLimitsConfig http;

  if (const auto f = field.child("max_header_bytes"); f.given()) {
    http.max_header_bytes = as_u32(f, 64, 1 << 20);
  }
  if (const auto f = field.child("max_headers"); f.given()) http.max_headers = as_u32(f, 1, 10000);

  // The URI sits inside the request head, so a larger URI limit could never be reached.
  if (const auto f = field.child("max_uri_bytes"); f.given()) {
    http.max_uri_bytes = as_u32(f, 1, http.max_header_bytes);
  } else if (http.max_uri_bytes > http.max_header_bytes) {
    http.max_uri_bytes = http.max_header_bytes;
  }

  if (const auto f = field.child("max_body_bytes"); f.given()) {
    http.max_body_bytes = static_cast<std::uint64_t>(f.as_integer(0, std::int64_t{1} << 32));
  }
  return http;
}

ConnectionsConfig read_connections(const YamlField& field) {
  field.expect_map({"max", "per_ip"});
  ConnectionsConfig connections;
  if (const auto f = field.child("max"); f.given()) connections.max = as_u32(f, 1, 10'000'000);
  if (const auto f = field.child("per_ip"); f.given()) {
    connections.per_ip = as_u32(f, 0, connections.max);
  }
  return connections;
}

// The proxy-mode keys: upstream, upstream_host, upstream_pool and upstream_timeouts.
void read_upstream(const YamlField& root, Config& config) {
  // An empty URL means "not set", as for store.redis_url.
  if (const auto f = root.child("upstream"); f.given()) {
    const std::string text = f.as_string();
    if (!text.empty()) {
      try {
        config.upstream = parse_upstream_url(text);
      } catch (const ConfigError& error) {
        f.fail(error.what());
      }
    }
  }

  if (const auto f = root.child("upstream_host"); f.given()) {
    config.upstream_host = f.as_string();
    if (!config.upstream_host.empty() && !is_host_header_value(config.upstream_host)) {
      f.fail(quote(config.upstream_host) +
             " is not a host (use a host name or IP address with an optional :port, such as "
             "api.example.com or [::1]:3000)");
    }
  }

  const auto pool = root.child("upstream_pool");
  pool.expect_map({"max_idle"});
  if (const auto f = pool.child("max_idle"); f.given()) {
    config.upstream_pool.max_idle = as_u32(f, 0, 100'000);
  }

  const auto timeouts = root.child("upstream_timeouts");
  timeouts.expect_map({"connect", "response"});
  for (auto [key, target] : {std::pair{"connect", &config.upstream_timeouts.connect},
                             std::pair{"response", &config.upstream_timeouts.response}}) {
    if (const auto f = timeouts.child(key); f.given()) {
      *target = f.as_duration(milliseconds(1), hours(1));
    }
  }
}

BanConfig read_ban(const YamlField& field) {
  field.expect_map({"after", "within", "duration", "max_duration"});
  BanConfig ban;
  if (const auto f = field.child("after"); f.given()) ban.after = as_u32(f, 1, 1'000'000);
  if (const auto f = field.child("within"); f.given()) {
    ban.within = f.as_duration(milliseconds(1), kMaxBanDuration);
  }
  if (const auto f = field.child("duration"); f.given()) {
    ban.duration = f.as_duration(milliseconds(1), kMaxBanDuration);
  }
  const auto max = field.child("max_duration");
  if (max.given()) {
    ban.max_duration = max.as_duration(milliseconds(1), kMaxBanDuration);
  } else if (ban.max_duration < ban.duration) {
    ban.max_duration = ban.duration;
  }
  if (ban.max_duration < ban.duration) {
    max.fail(fmt::format("{} is shorter than ban.duration ({})",
                         quote(format_duration(ban.max_duration)), format_duration(ban.duration)));
  }
  return ban;
}

AdminConfig read_admin(const YamlField& field) {
  field.expect_map({"token"});
  AdminConfig admin;
  if (const auto f = field.child("token"); f.given()) {
    admin.token = f.as_string();
    // A short token can be guessed over the network; the value itself is never echoed.
    if (!admin.token.empty() && admin.token.size() < kMinAdminToken) {
      f.fail(
          fmt::format("the token has {} characters; use at least {} (such as the output of "
                      "`openssl rand -hex 32`)",
                      admin.token.size(), kMinAdminToken));
    }
  }
  return admin;
}

Config read_config(const YamlField& root) {
  root.expect_map({"listen",
                   "metrics_listen",
                   "threads",
                   "log_level",
                   "shutdown_grace",
                   "store",
                   "client_ip",
                   "allowlist",
                   "blocklist",
                   "limits",
                   "timeouts",
                   "limits_http",
                   "connections",
                   "max_requests_per_connection",
                   "max_in_flight",
                   "allowlist_file",
                   "blocklist_file",
                   "mode",
                   "ban",
                   "admin",
                   "upstream",
                   "upstream_host",
                   "upstream_pool",
                   "upstream_timeouts"});
  Config config;

  if (const auto f = root.child("listen"); f.given()) config.listen = read_listen(f);
  if (const auto f = root.child("metrics_listen"); f.given()) {
    config.metrics_listen = read_listen(f);
    if (config.metrics_listen == config.listen && config.listen.port != 0) {
      f.fail(fmt::format("{} is also the listen address", quote(config.listen.to_string())));
    }
  }
  if (const auto f = root.child("threads"); f.given()) config.threads = as_u32(f, 0, kMaxThreads);
  if (const auto f = root.child("log_level"); f.given()) config.log_level = f.as_choice(kLogLevels);
  if (const auto f = root.child("shutdown_grace"); f.given()) {
    config.shutdown_grace = f.as_duration(milliseconds(0), hours(1));
  }

  config.store = read_store(root.child("store"));
  config.client_ip = read_client_ip(root.child("client_ip"));
  config.allowlist = read_cidrs(root.child("allowlist"));
  config.blocklist = read_cidrs(root.child("blocklist"));
  if (const auto f = root.child("allowlist_file"); f.given()) config.allowlist_file = f.as_string();
  if (const auto f = root.child("blocklist_file"); f.given()) config.blocklist_file = f.as_string();
  if (const auto f = root.child("mode"); f.given()) config.mode = f.as_choice(kModes);
  if (const auto f = root.child("ban"); f.given()) config.ban = read_ban(f);
  config.admin = read_admin(root.child("admin"));
  config.limits = read_limits(root.child("limits"));
  config.timeouts = read_timeouts(root.child("timeouts"));
  config.limits_http = read_http_limits(root.child("limits_http"));
  config.connections = read_connections(root.child("connections"));

  if (const auto f = root.child("max_requests_per_connection"); f.given()) {
    config.max_requests_per_connection = as_u32(f, 1, 1'000'000'000);
  }
  if (const auto f = root.child("max_in_flight"); f.given()) {
    config.max_in_flight = as_u32(f, 0, 10'000'000);
  }
  read_upstream(root, config);
  return config;
}

}  // namespace

Config load_config_string(std::string_view yaml, std::string_view source_name) {
  YAML::Node document;
  try {
    document = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    throw ConfigError(fmt::format("{}:{}:{}: not valid YAML: {}", source_name, error.mark.line + 1,
                                  error.mark.column + 1, error.msg));
  }

  Config config = read_config(YamlField(document, source_name));
  config.source = std::string(source_name);
  return config;
}

Config load_config_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  Config config = load_config_string(text.str(), path);
  load_list_files(config);
  return config;
}

std::vector<Cidr> parse_cidr_list(std::string_view text, std::string_view source) {
  std::vector<Cidr> out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);

    line = line.substr(0, line.find('#'));
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);

    const auto cidr = Cidr::parse(line);
    if (!cidr) {
      throw ConfigError(fmt::format(
          "{}:{}: {} is not a CIDR (use 10.0.0.0/8, 2001:db8::/32 or a single address; the bits "
          "after the prefix length must be zero)",
          source, line_number, quote(std::string(line))));
    }
    out.push_back(*cidr);
  }
  return out;
}

void load_list_files(Config& config) {
  const std::filesystem::path base = config.source.empty() || config.source.front() == '<'
                                         ? std::filesystem::path()
                                         : std::filesystem::path(config.source).parent_path();
  for (auto [file, list] : {std::pair{&config.allowlist_file, &config.allowlist},
                            std::pair{&config.blocklist_file, &config.blocklist}}) {
    if (file->empty()) continue;
    const std::filesystem::path path = base / *file;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw ConfigError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    for (const Cidr& cidr : parse_cidr_list(text.str(), path.string()))
      list->push_back(cidr);
  }
}

std::string_view builtin_config_yaml() {
  return kBuiltinYaml;
}

Config builtin_config() {
  return load_config_string(kBuiltinYaml, "<builtin>");
}

std::string_view to_string(LogLevel level) {
  return name_of(kLogLevels, level);
}
std::string_view to_string(StoreBackend backend) {
  return name_of(kBackends, backend);
}
std::string_view to_string(StoreErrorPolicy policy) {
  return name_of(kErrorPolicies, policy);
}
std::string_view to_string(ForwardedHeader header) {
  return name_of(kHeaders, header);
}
std::string_view to_string(Mode mode) {
  return name_of(kModes, mode);
}

}  // namespace weir::config
