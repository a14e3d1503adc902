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

  friend bool operator==(const RouteLimit&, const RouteLimit&) = default;
};

struct LimitsConfig {
  Limit default_limit;             // the `default` key: for paths no route matches
  std::vector<RouteLimit> routes;  // in file order

  friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

// Deadlines on the client side of a connection, each 1ms..1h.
struct TimeoutsConfig {
  std::chrono::milliseconds header{std::chrono::seconds(10)};  // whole request head
  std::chrono::milliseconds body{std::chrono::seconds(30)};    // whole request body
  std::chrono::milliseconds idle{std::chrono::seconds(60)};    // between keep-alive requests

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

// Reads and validates the YAML file at `path`; messages name it as given. Throws ConfigError,
// also when the file cannot be read or is not valid YAML.
Config load_config_file(const std::string& path);

// Validates `yaml`; `source_name` stands for the file in messages and in Config::source.
Config load_config_string(std::string_view yaml, std::string_view source_name);

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

}  // namespace weir::config
