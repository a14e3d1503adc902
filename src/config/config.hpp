// weir::config::Config: everything weir is told at start-up, parsed once from YAML into an
// immutable, validated value.
//
//   const auto config = std::make_shared<const weir::config::Config>(
//       weir::config::load_config_file("/etc/weir/weir.yml"));
//   config->limits.default_limit.requests;   // 100
//
// Every key has a default, so an empty file is a valid configuration; a list left out is empty.
// Anything wrong (an unknown key, a value of the wrong type or out of bounds, a bad CIDR or
// duration) throws weir::ConfigError naming the file, line, column, key path and value. A
// Config that was returned has passed every check, so readers need not re-validate. Share it
// read-only; a reload builds a new Config and swaps it whole. The full list of keys, defaults
// and bounds is in docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.hpp"
#include "config/listen_address.hpp"
#include "config/redis_url.hpp"
#include "config/upstream_url.hpp"
#include "weir/cidr.hpp"
#include "weir/client_resolver.hpp"
#include "weir/limit.hpp"

namespace weir::config {

enum class LogLevel : std::uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

enum class StoreBackend : std::uint8_t { kMemory, kRedis };

// Whether a rule's rejections are carried out (enforce) or only counted (shadow: a dry run).
enum class Mode : std::uint8_t { kEnforce, kShadow };

// What a request gets when the Redis store cannot answer in time.
enum class StoreErrorPolicy : std::uint8_t {
  kAllow,  // fail open: admit the request
  kDeny,   // fail closed: reject it
  kLocal,  // decide in process memory, each instance enforcing its share of the limit
};

struct StoreConfig {
  StoreBackend backend = StoreBackend::kMemory;
  std::uint64_t max_keys = 1'000'000;  // keys held in memory (memory backend and `local`)
  // Set when `redis_url` was written (validated either way); always set when backend is redis.
  std::optional<RedisUrl> redis_url;
  std::chrono::milliseconds timeout{50};  // connect and command timeout, 1ms..60s
  std::uint32_t connections = 2;          // per weir process, 1..64
  StoreErrorPolicy on_error = StoreErrorPolicy::kLocal;
  std::uint32_t instances = 1;  // weir processes sharing the Redis; divides limits under kLocal

  friend bool operator==(const StoreConfig&, const StoreConfig&) = default;
};

struct ClientIpConfig {
  // Peers whose forwarding header is believed. Empty: the client is always the TCP peer.
  std::vector<Cidr> trusted_proxies;
  int ipv6_prefix = 64;  // IPv6 clients are limited per /ipv6_prefix network, 1..128
  ForwardedHeader header = ForwardedHeader::kXForwardedFor;  // which header they set

  friend bool operator==(const ClientIpConfig&, const ClientIpConfig&) = default;
};

struct RouteLimit {
  // As written: starts with '/'. No two routes normalise (weir::normalize_path, trailing slash
  // dropped) to the same prefix, so weir::RuleSet gets no duplicates.
  std::string prefix;
  Limit limit;  // algorithm defaults to sliding_log, not to the default limit's
  Mode mode = Mode::kEnforce;

  friend bool operator==(const RouteLimit&, const RouteLimit&) = default;
};

struct LimitsConfig {
  Limit default_limit;                 // the `default` key: for paths no route matches
  Mode default_mode = Mode::kEnforce;  // `default.mode`
  std::vector<RouteLimit> routes;      // in file order

  friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

// Deadlines on the client side of a connection, each 1ms..1h.
struct TimeoutsConfig {
  std::chrono::milliseconds header{std::chrono::seconds(10)};  // whole request head
  std::chrono::milliseconds body{std::chrono::seconds(30)};    // whole request body
  std::chrono::milliseconds idle{std::chrono::seconds(60)};    // between keep-alive requests
  // After body_grace of reading a body, it must have arrived at body_min_rate bytes per second
  // on average (counted from the end of the grace), or the connection is closed with 408.
  // 0 disables the rate check; the body deadline still applies.
  std::uint32_t body_min_rate = 500;                              // bytes/s, 0..1 GiB/s
  std::chrono::milliseconds body_grace{std::chrono::seconds(5)};  // 0ms..1h

  friend bool operator==(const TimeoutsConfig&, const TimeoutsConfig&) = default;
};

// Size limits on a request; the status a request over each gets is noted.
struct HttpLimitsConfig {
  std::uint32_t max_header_bytes = 16384;  // 431; request line and headers, 64..1 MiB
  std::uint32_t max_headers = 100;         // 431; 1..10000
  std::uint32_t max_uri_bytes = 8192;      // 414; 1..max_header_bytes
  std::uint64_t max_body_bytes = 1048576;  // 413; 0..4 GiB, 0 refuses any body

  friend bool operator==(const HttpLimitsConfig&, const HttpLimitsConfig&) = default;
};

struct ConnectionsConfig {
  std::uint32_t max = 100000;  // open client connections, 1..10000000
  std::uint32_t per_ip = 0;    // open connections from one client address; 0 = unlimited

  friend bool operator==(const ConnectionsConfig&, const ConnectionsConfig&) = default;
};

// Idle upstream connections kept for reuse in proxy mode.
struct UpstreamPoolConfig {
  std::uint32_t max_idle = 64;  // per server thread, 0..100000; 0 opens one per request

  friend bool operator==(const UpstreamPoolConfig&, const UpstreamPoolConfig&) = default;
};

// Deadlines on the upstream side in proxy mode, each 1ms..1h.
struct UpstreamTimeoutsConfig {
  std::chrono::milliseconds connect{std::chrono::seconds(5)};    // name lookup and TCP connect
  std::chrono::milliseconds response{std::chrono::seconds(60)};  // each wait on the upstream

  friend bool operator==(const UpstreamTimeoutsConfig&, const UpstreamTimeoutsConfig&) = default;
};

// Temporary bans of clients that keep getting rate-limited. Absent section: no bans.
struct BanConfig {
  std::uint32_t after = 5;                                       // rejections, 1..1000000
  std::chrono::milliseconds within{std::chrono::seconds(60)};    // counting window, 1ms..365d
  std::chrono::milliseconds duration{std::chrono::minutes(10)};  // first ban, 1ms..365d
  // Each repeat ban doubles the last, up to this; at least `duration`, at most 365d.
  std::chrono::milliseconds max_duration{std::chrono::hours(24)};

  friend bool operator==(const BanConfig&, const BanConfig&) = default;
};

// The operator's API on the metrics listener (docs/admin.md).
struct AdminConfig {
  // Bearer token; empty disables the API. The WEIR_ADMIN_TOKEN environment variable, applied
  // by the executable, takes its place when set. At least 16 characters when set in the file.
  std::string token;

  friend bool operator==(const AdminConfig&, const AdminConfig&) = default;
};

struct Config {
  ListenAddress listen{"0.0.0.0", 8000};
  ListenAddress metrics_listen{"0.0.0.0", 9090};
  std::uint32_t threads = 0;  // 0 = one per core; at most 1024
  LogLevel log_level = LogLevel::kInfo;
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};  // 0ms..1h
  StoreConfig store;
  ClientIpConfig client_ip;
  std::vector<Cidr> allowlist;  // never limited
  std::vector<Cidr> blocklist;  // always refused
  // Files of one CIDR a line ('#' starts a comment), read by load_config_file (and so again on
  // each reload) and appended to allowlist / blocklist. A relative path is taken from the
  // configuration file's directory. Empty: none.
  std::string allowlist_file;
  std::string blocklist_file;
  Mode mode = Mode::kEnforce;  // kShadow puts every rule in shadow mode
  std::optional<BanConfig> ban;
  AdminConfig admin;
  LimitsConfig limits;
  TimeoutsConfig timeouts;
  HttpLimitsConfig limits_http;
  ConnectionsConfig connections;
  std::uint32_t max_requests_per_connection = 1000;  // 1..1000000000
  std::uint32_t max_in_flight = 0;                   // requests being handled; 0 = unlimited

  // Proxy mode: every admitted request is forwarded here. Unset (or "" in the file): weir
  // serves its demo API instead.
  std::optional<UpstreamUrl> upstream;
  std::string upstream_host;  // the Host sent upstream; empty keeps the client's
  UpstreamPoolConfig upstream_pool;
  UpstreamTimeoutsConfig upstream_timeouts;

  // Where this came from, for logs: the file path, or "<builtin>".
  std::string source;

  friend bool operator==(const Config&, const Config&) = default;
};

// Reads and validates the YAML file at `path`; messages name it as given. Then reads the
// allowlist_file and blocklist_file it names (load_list_files). Throws ConfigError, also when a
// file cannot be read or is not valid YAML.
Config load_config_file(const std::string& path);

// Validates `yaml`; `source_name` stands for the file in messages and in Config::source. Reads
// no other file: allowlist_file and blocklist_file are kept as written.
Config load_config_string(std::string_view yaml, std::string_view source_name);

// Appends the networks of config.allowlist_file and config.blocklist_file to the lists, paths
// relative to the directory of config.source. Throws ConfigError naming the file, the line and
// the bad text.
void load_list_files(Config& config);

// One CIDR a line; blank lines and everything from '#' on are ignored. `text` is the file's
// contents, `source` names it in messages. Throws ConfigError ("source:line: ...").
std::vector<Cidr> parse_cidr_list(std::string_view text, std::string_view source);

// The reference configuration weir runs with when given no --config: every default, plus
// private networks allowlisted, two documentation ranges blocklisted, and tighter limits on
// /api/auth and /api/search. Its text is builtin_config_yaml(); never throws.
Config builtin_config();
std::string_view builtin_config_yaml();

// Lowercase names as written in the configuration: "info", "redis", "local", "forwarded".
std::string_view to_string(LogLevel level);
std::string_view to_string(StoreBackend backend);
std::string_view to_string(StoreErrorPolicy policy);
std::string_view to_string(ForwardedHeader header);
std::string_view to_string(Mode mode);

}  // namespace weir::config
