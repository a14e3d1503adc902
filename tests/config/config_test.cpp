#include "config/config.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace weir::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::AllOf;
using testing::HasSubstr;
using testing::Not;

Config load(std::string_view yaml) {
  return load_config_string(yaml, "weir.yml");
}

// The message of the ConfigError that loading `yaml` throws; fails the test if none is thrown.
std::string error_of(std::string_view yaml) {
  try {
    load(yaml);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << yaml;
  return "";
}

Cidr cidr(std::string_view text) {
  const auto parsed = Cidr::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(Cidr{});
}

// --- Defaults -----------------------------------------------------------------------------

TEST(ConfigDefaults, EmptyDocumentTakesEveryDefault) {
  const Config config = load("");

  EXPECT_EQ(config.listen, (ListenAddress{"0.0.0.0", 8000}));
  EXPECT_EQ(config.metrics_listen, (ListenAddress{"0.0.0.0", 9090}));
  EXPECT_EQ(config.threads, 0u);
  EXPECT_EQ(config.log_level, LogLevel::kInfo);
  EXPECT_EQ(config.shutdown_grace, seconds(10));

  EXPECT_EQ(config.store.backend, StoreBackend::kMemory);
  EXPECT_EQ(config.store.max_keys, 1'000'000u);
  EXPECT_FALSE(config.store.redis_url);
  EXPECT_EQ(config.store.timeout, milliseconds(50));
  EXPECT_EQ(config.store.connections, 2u);
  EXPECT_EQ(config.store.on_error, StoreErrorPolicy::kLocal);
  EXPECT_EQ(config.store.instances, 1u);

  EXPECT_TRUE(config.client_ip.trusted_proxies.empty());
  EXPECT_EQ(config.client_ip.ipv6_prefix, 64);
  EXPECT_EQ(config.client_ip.header, ForwardedHeader::kXForwardedFor);
  EXPECT_TRUE(config.allowlist.empty());
  EXPECT_TRUE(config.blocklist.empty());

  EXPECT_EQ(config.limits.default_limit.requests, 100u);
  EXPECT_EQ(config.limits.default_limit.window, seconds(60));
  EXPECT_EQ(config.limits.default_limit.algorithm, Algorithm::kSlidingLog);
  EXPECT_EQ(config.limits.default_limit.burst, 0u);
  EXPECT_TRUE(config.limits.routes.empty());

  EXPECT_EQ(config.timeouts.header, seconds(10));
  EXPECT_EQ(config.timeouts.body, seconds(30));
  EXPECT_EQ(config.timeouts.idle, seconds(60));
  EXPECT_EQ(config.limits_http.max_header_bytes, 16384u);
  EXPECT_EQ(config.limits_http.max_headers, 100u);
  EXPECT_EQ(config.limits_http.max_uri_bytes, 8192u);
  EXPECT_EQ(config.limits_http.max_body_bytes, 1048576u);
  EXPECT_EQ(config.connections.max, 100000u);
  EXPECT_EQ(config.connections.per_ip, 0u);
  EXPECT_EQ(config.max_requests_per_connection, 1000u);
  EXPECT_EQ(config.max_in_flight, 0u);

  EXPECT_EQ(config.source, "weir.yml");
}

TEST(ConfigDefaults, CommentOnlyAndEmptySectionsTakeDefaults) {
  const Config config = load("# nothing here\nstore:\nlimits:\n  routes:\nallowlist: []\n");
  EXPECT_EQ(config, load(""));
}

TEST(ConfigDefaults, PartialSectionKeepsDefaultsForKeysLeftOut) {
  const Config config = load("store:\n  connections: 8\nlimits:\n  default: { requests: 5 }\n");
  EXPECT_EQ(config.store.connections, 8u);
  EXPECT_EQ(config.store.timeout, milliseconds(50));
  EXPECT_EQ(config.limits.default_limit.requests, 5u);
  EXPECT_EQ(config.limits.default_limit.window, seconds(60));
}

// --- Every key parsed ---------------------------------------------------------------------

constexpr std::string_view kEveryKey = R"(
listen: "[::1]:8080"
metrics_listen: "127.0.0.1:0"
threads: 4
log_level: debug
shutdown_grace: 2m
store:
  backend: redis
  max_keys: 5000
  redis_url: "redis://weir:s3cret@10.0.0.5:6380/2"
  timeout: 20ms
  connections: 16
  on_error: deny
  instances: 3
client_ip:
  trusted_proxies: [10.1.0.0/16, "2001:db8::/32"]
  ipv6_prefix: 56
  header: forwarded
allowlist: [192.168.0.0/16]
blocklist: [203.0.113.7]
limits:
  default: { requests: 50, window: 1h, algorithm: gcra, burst: 75 }
  routes:
    - { prefix: /api/auth, requests: 10, window: 60s }
    - prefix: /api/search
      requests: 300
      window: 500ms
      algorithm: sliding_counter
timeouts:
  header: 5s
  body: 1m
  idle: 90s
limits_http:
  max_header_bytes: 32768
  max_headers: 50
  max_uri_bytes: 4096
  max_body_bytes: 0
connections:
  max: 2000
  per_ip: 20
max_requests_per_connection: 10
max_in_flight: 500
)";

TEST(ConfigKeys, ReadsEveryKey) {
  const Config config = load(kEveryKey);

  EXPECT_EQ(config.listen, (ListenAddress{"::1", 8080}));
  EXPECT_EQ(config.metrics_listen, (ListenAddress{"127.0.0.1", 0}));
  EXPECT_EQ(config.threads, 4u);
  EXPECT_EQ(config.log_level, LogLevel::kDebug);
  EXPECT_EQ(config.shutdown_grace, minutes(2));

  EXPECT_EQ(config.store.backend, StoreBackend::kRedis);
  EXPECT_EQ(config.store.max_keys, 5000u);
  ASSERT_TRUE(config.store.redis_url);
  EXPECT_EQ(config.store.redis_url->host, "10.0.0.5");
  EXPECT_EQ(config.store.redis_url->port, 6380);
  EXPECT_EQ(config.store.redis_url->db, 2u);
  EXPECT_EQ(config.store.redis_url->user, "weir");
  EXPECT_EQ(config.store.redis_url->password, "s3cret");
  EXPECT_EQ(config.store.timeout, milliseconds(20));
  EXPECT_EQ(config.store.connections, 16u);
  EXPECT_EQ(config.store.on_error, StoreErrorPolicy::kDeny);
  EXPECT_EQ(config.store.instances, 3u);

  EXPECT_EQ(config.client_ip.trusted_proxies,
            (std::vector<Cidr>{cidr("10.1.0.0/16"), cidr("2001:db8::/32")}));
  EXPECT_EQ(config.client_ip.ipv6_prefix, 56);
  EXPECT_EQ(config.client_ip.header, ForwardedHeader::kForwarded);
  EXPECT_EQ(config.allowlist, std::vector<Cidr>{cidr("192.168.0.0/16")});
  EXPECT_EQ(config.blocklist, std::vector<Cidr>{cidr("203.0.113.7/32")});

  EXPECT_EQ(config.limits.default_limit, (Limit{Algorithm::kGcra, 50, hours(1), 75}));
  ASSERT_EQ(config.limits.routes.size(), 2u);
  EXPECT_EQ(config.limits.routes[0].prefix, "/api/auth");
  EXPECT_EQ(config.limits.routes[0].limit, (Limit{Algorithm::kSlidingLog, 10, seconds(60), 0}));
  EXPECT_EQ(config.limits.routes[1].prefix, "/api/search");
  EXPECT_EQ(config.limits.routes[1].limit,
            (Limit{Algorithm::kSlidingCounter, 300, milliseconds(500), 0}));

  EXPECT_EQ(config.timeouts.header, seconds(5));
  EXPECT_EQ(config.timeouts.body, minutes(1));
  EXPECT_EQ(config.timeouts.idle, seconds(90));
  EXPECT_EQ(config.limits_http.max_header_bytes, 32768u);
  EXPECT_EQ(config.limits_http.max_headers, 50u);
  EXPECT_EQ(config.limits_http.max_uri_bytes, 4096u);
  EXPECT_EQ(config.limits_http.max_body_bytes, 0u);
  EXPECT_EQ(config.connections.max, 2000u);
  EXPECT_EQ(config.connections.per_ip, 20u);
  EXPECT_EQ(config.max_requests_per_connection, 10u);
  EXPECT_EQ(config.max_in_flight, 500u);
}

TEST(ConfigKeys, RouteAlgorithmDefaultsToSlidingLogNotToTheDefaultRule) {
  const Config config = load(
      "limits:\n"
      "  default: { algorithm: gcra }\n"
      "  routes: [{ prefix: /a, requests: 1, window: 1s }]\n");
  EXPECT_EQ(config.limits.default_limit.algorithm, Algorithm::kGcra);
  EXPECT_EQ(config.limits.routes[0].limit.algorithm, Algorithm::kSlidingLog);
}

TEST(ConfigKeys, AcceptsEveryDurationUnit) {
  EXPECT_EQ(load("shutdown_grace: 250ms").shutdown_grace, milliseconds(250));
  EXPECT_EQ(load("shutdown_grace: 7s").shutdown_grace, seconds(7));
  EXPECT_EQ(load("shutdown_grace: 3m").shutdown_grace, minutes(3));
  EXPECT_EQ(load("shutdown_grace: 1h").shutdown_grace, hours(1));
  EXPECT_EQ(load("shutdown_grace: 0s").shutdown_grace, milliseconds(0));
  EXPECT_EQ(load("shutdown_grace: \"15s\"").shutdown_grace, seconds(15));
}

TEST(ConfigKeys, AcceptsWindowBounds) {
  EXPECT_EQ(load("limits: { default: { window: 1ms } }").limits.default_limit.window,
            milliseconds(1));
  EXPECT_EQ(load("limits: { default: { window: 24h } }").limits.default_limit.window, kMaxWindow);
  EXPECT_EQ(load("limits: { default: { requests: 1000000 } }").limits.default_limit.requests,
            kMaxRequests);
}

TEST(ConfigKeys, AcceptsListenAddressForms) {
  EXPECT_EQ(load("listen: localhost:80").listen, (ListenAddress{"localhost", 80}));
  EXPECT_EQ(load("listen: \"[::]:65535\"").listen, (ListenAddress{"::", 65535}));
  EXPECT_EQ(load("listen: 10.0.0.1:0").listen, (ListenAddress{"10.0.0.1", 0}));
}

TEST(ConfigKeys, GcraBurstUpToTheFactorTimesRequests) {
  const Config config = load("limits: { default: { requests: 3, algorithm: gcra, burst: 300 } }");
  EXPECT_EQ(config.limits.default_limit.burst, 300u);
  EXPECT_EQ(config.limits.default_limit.effective_burst(), 300u);
}

TEST(ConfigKeys, RedisUrlIsValidatedAndKeptWithMemoryBackend) {
  const Config config = load("store: { redis_url: \"unix:///run/redis.sock\" }");
  EXPECT_EQ(config.store.backend, StoreBackend::kMemory);
  ASSERT_TRUE(config.store.redis_url);
  EXPECT_EQ(config.store.redis_url->path, "/run/redis.sock");
  EXPECT_THAT(error_of("store: { redis_url: \"http://x\" }"),
              HasSubstr("store.redis_url: \"http://x\" is not a redis url"));
}

TEST(ConfigKeys, ShortUriLimitFollowsASmallerHeaderLimit) {
  EXPECT_EQ(load("limits_http: { max_header_bytes: 4096 }").limits_http.max_uri_bytes, 4096u);
}

TEST(ConfigKeys, NestedPrefixesAreDistinctRoutesKeptAsWritten) {
  const Config config = load(
      "limits:\n  routes:\n    - { prefix: /api/, requests: 1, window: 1s }\n"
      "    - { prefix: /api/v1, requests: 2, window: 1s }\n    - { prefix: /, requests: 3, "
      "window: 1s }\n");
  ASSERT_EQ(config.limits.routes.size(), 3u);
  EXPECT_EQ(config.limits.routes[0].prefix, "/api/");
  EXPECT_EQ(config.limits.routes[1].prefix, "/api/v1");
  EXPECT_EQ(config.limits.routes[2].prefix, "/");
}

TEST(ConfigKeys, EnumNamesRoundTripThroughToString) {
  for (const char* name : {"trace", "debug", "info", "warn", "error", "off"}) {
    EXPECT_EQ(to_string(load(std::string("log_level: ") + name).log_level), name);
  }
  for (const char* name : {"memory", "redis"}) {
    const auto yaml = fmt::format("store: {{ backend: {}, redis_url: \"redis://h\" }}", name);
    EXPECT_EQ(to_string(load(yaml).store.backend), name);
  }
  for (const char* name : {"allow", "deny", "local"}) {
    EXPECT_EQ(to_string(load(std::string("store: { on_error: ") + name + " }").store.on_error),
              name);
  }
  for (const char* name : {"x-forwarded-for", "forwarded"}) {
    EXPECT_EQ(to_string(load(std::string("client_ip: { header: ") + name + " }").client_ip.header),
              name);
  }
}

// --- The built-in configuration -------------------------------------------------------------

TEST(BuiltinConfig, HasDefaultsListsAndRoutes) {
  const Config config = builtin_config();

  EXPECT_EQ(config.source, "<builtin>");
  EXPECT_EQ(config.listen, (ListenAddress{"0.0.0.0", 8000}));
  EXPECT_EQ(config.metrics_listen, (ListenAddress{"0.0.0.0", 9090}));
  EXPECT_EQ(config.store.backend, StoreBackend::kMemory);
  EXPECT_EQ(config.allowlist,
            (std::vector<Cidr>{cidr("10.0.0.0/8"), cidr("172.16.0.0/12"), cidr("192.168.0.0/16")}));
  EXPECT_EQ(config.blocklist,
            (std::vector<Cidr>{cidr("198.51.100.0/24"), cidr("203.0.113.42/32")}));
  EXPECT_EQ(config.limits.default_limit, (Limit{Algorithm::kSlidingLog, 100, seconds(60), 0}));

  ASSERT_EQ(config.limits.routes.size(), 2u);
  EXPECT_EQ(config.limits.routes[0],
            (RouteLimit{"/api/auth", Limit{Algorithm::kSlidingLog, 10, seconds(60), 0}}));
  EXPECT_EQ(config.limits.routes[1],
            (RouteLimit{"/api/search", Limit{Algorithm::kSlidingLog, 300, seconds(60), 0}}));
}

TEST(BuiltinConfig, IsItsOwnYamlParsed) {
  Config from_text = load_config_string(builtin_config_yaml(), "<builtin>");
  EXPECT_EQ(builtin_config(), from_text);
  EXPECT_NE(builtin_config(), load_config_string("", "<builtin>"));
}

// --- Files --------------------------------------------------------------------------------

TEST(ConfigFile, LoadsFromDiskAndNamesThePathInErrors) {
  const std::string path = testing::TempDir() + "weir_config_test.yml";
  {
    std::ofstream out(path);
    out << "threads: 3\nlog_level: loud\n";
  }
  try {
    load_config_file(path);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr(path + ":2:12: log_level: \"loud\" is not one of"));
  }

  {
    std::ofstream out(path);
    out << "threads: 3\n";
  }
  const Config config = load_config_file(path);
  EXPECT_EQ(config.threads, 3u);
  EXPECT_EQ(config.source, path);
  std::remove(path.c_str());
}

TEST(ConfigFile, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config_file("/nonexistent/weir.yml"), ConfigError);
  try {
    load_config_file("/nonexistent/weir.yml");
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("/nonexistent/weir.yml: cannot open"));
  }
}

TEST(ConfigFile, YamlSyntaxErrorNamesFileAndLine) {
  EXPECT_THAT(error_of("threads: 1\nstore: { backend: memory\n"),
              AllOf(HasSubstr("weir.yml:"), HasSubstr("not valid YAML")));
  EXPECT_THAT(error_of("a: [1\nb: 2\n  - c"), HasSubstr("weir.yml:"));
}

// --- Errors: every message names file, line, column, key path and value -------------------

TEST(ConfigErrors, BadDurationInRouteNamesTheFullPathAndPosition) {
  const std::string message = error_of(
      "limits:\n"
      "  routes:\n"
      "    - { prefix: /a, requests: 1, window: 60s }\n"
      "    - prefix: /b\n"
      "      requests: 5\n"
      "      window: 90x\n");
  EXPECT_EQ(message,
            "weir.yml:6:15: limits.routes[1].window: \"90x\" is not a duration "
            "(use 500ms, 60s, 10m, 1h)");
}

TEST(ConfigErrors, DurationsNeedAUnitAndAnInteger) {
  EXPECT_THAT(error_of("shutdown_grace: 10"),
              HasSubstr("weir.yml:1:17: shutdown_grace: \"10\" is not a duration"));
  EXPECT_THAT(error_of("timeouts: { idle: 1.5s }"),
              HasSubstr("timeouts.idle: \"1.5s\" is not a duration"));
  EXPECT_THAT(error_of("timeouts: { body: -1s }"),
              HasSubstr("timeouts.body: \"-1s\" is not a duration"));
  EXPECT_THAT(error_of("store: { timeout: 10sec }"),
              HasSubstr("store.timeout: \"10sec\" is not a duration"));
  EXPECT_THAT(error_of("timeouts: { header: s }"),
              HasSubstr("timeouts.header: \"s\" is not a duration"));
}

TEST(ConfigErrors, DurationOutOfBounds) {
  EXPECT_THAT(error_of("limits: { default: { window: 25h } }"),
              HasSubstr("limits.default.window: 25h is out of range 1ms..24h"));
  EXPECT_THAT(error_of("limits: { default: { window: 0ms } }"),
              HasSubstr("limits.default.window: 0ms is out of range 1ms..24h"));
  EXPECT_THAT(error_of("timeouts: { idle: 0s }"), HasSubstr("timeouts.idle: 0s is out of range"));
  EXPECT_THAT(error_of("store: { timeout: 2m }"),
              HasSubstr("store.timeout: 2m is out of range 1ms..1m"));
  EXPECT_THAT(error_of("shutdown_grace: 99999999999999999h"),
              HasSubstr("shutdown_grace: 99999999999999999h is out of range"));
}

TEST(ConfigErrors, UnknownTopLevelKeyListsValidKeysAndSuggestsTheNearest) {
  const std::string message = error_of("threads: 2\nlog_levle: info\n");
  EXPECT_THAT(message, HasSubstr("weir.yml:2:1: log_levle: unknown key"));
  EXPECT_THAT(message, HasSubstr("listen, metrics_listen, threads, log_level"));
  EXPECT_THAT(message, HasSubstr("did you mean \"log_level\"?"));
}

TEST(ConfigErrors, UnknownNestedKeyNamesItsPath) {
  const std::string message = error_of("store:\n  backend: memory\n  max_key: 5\n");
  EXPECT_THAT(message, HasSubstr("weir.yml:3:3: store.max_key: unknown key"));
  EXPECT_THAT(message, HasSubstr("backend, max_keys, redis_url"));

  EXPECT_THAT(
      error_of("limits:\n  routes:\n    - { prefix: /a, requests: 1, window: 1s, rate: 2 }"),
      HasSubstr("weir.yml:3:46: limits.routes[0].rate: unknown key"));
  EXPECT_THAT(error_of("limits: { default: { prefix: /x } }"),
              HasSubstr("limits.default.prefix: unknown key"));
}

TEST(ConfigErrors, UnrelatedUnknownKeyGetsNoSuggestion) {
  EXPECT_THAT(error_of("zzzzzzzz: 1"), Not(HasSubstr("did you mean")));
}

TEST(ConfigErrors, KeyWrittenTwice) {
  EXPECT_THAT(error_of("threads: 1\nlog_level: info\nthreads: 2\n"),
              HasSubstr("weir.yml:3:1: threads: written twice (first on line 1)"));
}

TEST(ConfigErrors, BadEnumValuesListTheChoices) {
  EXPECT_THAT(error_of("log_level: verbose"),
              HasSubstr("weir.yml:1:12: log_level: \"verbose\" is not one of trace, debug, "
                        "info, warn, error, off"));
  EXPECT_THAT(error_of("store: { backend: memcached }"),
              HasSubstr("store.backend: \"memcached\" is not one of memory, redis"));
  EXPECT_THAT(error_of("store: { on_error: ignore }"),
              HasSubstr("store.on_error: \"ignore\" is not one of allow, deny, local"));
  EXPECT_THAT(
      error_of("client_ip: { header: x-real-ip }"),
      HasSubstr("client_ip.header: \"x-real-ip\" is not one of x-forwarded-for, forwarded"));
  EXPECT_THAT(error_of("limits: { default: { algorithm: token_bucket } }"),
              HasSubstr("limits.default.algorithm: \"token_bucket\" is not one of sliding_log, "
                        "sliding_counter, gcra"));
  EXPECT_THAT(error_of("log_level: INFO"), HasSubstr("\"INFO\" is not one of"));
}

TEST(ConfigErrors, StringWhereANumberIsNeeded) {
  EXPECT_THAT(error_of("threads: many"),
              HasSubstr("weir.yml:1:10: threads: \"many\" is not an integer"));
  EXPECT_THAT(error_of("threads: \"4\""),
              HasSubstr("threads: \"4\" is a quoted string; write the number without quotes"));
  EXPECT_THAT(error_of("threads: !!str 4"), HasSubstr("threads: \"4\" is a quoted string"));
  EXPECT_EQ(load("threads: !!int 4").threads, 4u);
  EXPECT_THAT(error_of("limits: { default: { requests: 1e3 } }"),
              HasSubstr("limits.default.requests: \"1e3\" is not an integer"));
  EXPECT_THAT(error_of("connections: { max: 10.5 }"),
              HasSubstr("connections.max: \"10.5\" is not an integer"));
  EXPECT_THAT(error_of("max_in_flight: true"),
              HasSubstr("max_in_flight: \"true\" is not an integer"));
}

TEST(ConfigErrors, WrongShapes) {
  EXPECT_THAT(error_of("threads: [1, 2]"), HasSubstr("threads: expected an integer, got a list"));
  EXPECT_THAT(error_of("store: memory"), HasSubstr("weir.yml:1:8: store: expected a map of keys"));
  EXPECT_THAT(error_of("allowlist: 10.0.0.0/8"),
              HasSubstr("allowlist: expected a list, got a value"));
  EXPECT_THAT(error_of("listen: { host: x }"), HasSubstr("listen: expected a string, got a map"));
  EXPECT_THAT(error_of("threads:\n"), HasSubstr("threads: has no value; expected an integer"));
  EXPECT_THAT(error_of("- 1\n- 2\n"), HasSubstr("weir.yml:1:1: expected a map of keys"));
}

TEST(ConfigErrors, IntegersOutOfBounds) {
  EXPECT_THAT(error_of("threads: 1025"), HasSubstr("threads: 1025 is out of range 0..1024"));
  EXPECT_THAT(error_of("threads: -1"), HasSubstr("threads: -1 is out of range 0..1024"));
  EXPECT_THAT(error_of("limits: { default: { requests: 0 } }"),
              HasSubstr("limits.default.requests: 0 is out of range 1..1000000"));
  EXPECT_THAT(error_of("limits: { default: { requests: 1000001 } }"),
              HasSubstr("limits.default.requests: 1000001 is out of range 1..1000000"));
  EXPECT_THAT(error_of("store: { connections: 65 }"),
              HasSubstr("store.connections: 65 is out of range 1..64"));
  EXPECT_THAT(error_of("store: { max_keys: 0 }"), HasSubstr("store.max_keys: 0 is out of range"));
  EXPECT_THAT(error_of("store: { instances: 0 }"), HasSubstr("store.instances: 0 is out of range"));
  EXPECT_THAT(error_of("client_ip: { ipv6_prefix: 0 }"),
              HasSubstr("client_ip.ipv6_prefix: 0 is out of range 1..128"));
  EXPECT_THAT(error_of("client_ip: { ipv6_prefix: 129 }"),
              HasSubstr("client_ip.ipv6_prefix: 129 is out of range 1..128"));
  EXPECT_THAT(error_of("threads: 99999999999999999999999"),
              HasSubstr("threads: 99999999999999999999999 is out of range"));
  EXPECT_THAT(error_of("limits_http: { max_header_bytes: 1024, max_uri_bytes: 2048 }"),
              HasSubstr("limits_http.max_uri_bytes: 2048 is out of range 1..1024"));
  EXPECT_THAT(error_of("connections: { max: 10, per_ip: 11 }"),
              HasSubstr("connections.per_ip: 11 is out of range 0..10"));
}

TEST(ConfigErrors, BurstOnlyWithGcraAndWithinTheFactor) {
  EXPECT_THAT(error_of("limits: { default: { burst: 5 } }"),
              HasSubstr("limits.default.burst: burst applies only to algorithm gcra "
                        "(this rule uses sliding_log)"));
  EXPECT_THAT(error_of("limits: { default: { algorithm: gcra, requests: 2, burst: 201 } }"),
              HasSubstr("limits.default.burst: 201 is out of range 1..200"));
  EXPECT_THAT(error_of("limits: { default: { algorithm: gcra, burst: 0 } }"),
              HasSubstr("limits.default.burst: 0 is out of range"));
}

TEST(ConfigErrors, BadCidrNamesTheListIndexAndValue) {
  EXPECT_THAT(error_of("blocklist:\n  - 198.51.100.0/24\n  - 10.0.0.1/8\n"),
              HasSubstr("weir.yml:3:5: blocklist[1]: \"10.0.0.1/8\" is not a CIDR"));
  EXPECT_THAT(error_of("allowlist: [10.0.0.0/33]"),
              HasSubstr("allowlist[0]: \"10.0.0.0/33\" is not a CIDR"));
  EXPECT_THAT(error_of("client_ip: { trusted_proxies: [10.0.0.0/8, example.com] }"),
              HasSubstr("client_ip.trusted_proxies[1]: \"example.com\" is not a CIDR"));
}

TEST(ConfigErrors, BadListenAddresses) {
  EXPECT_THAT(error_of("listen: 8000"),
              HasSubstr("weir.yml:1:9: listen: \"8000\" is not a listen address"));
  EXPECT_THAT(error_of("listen: example.com:80"),
              HasSubstr("listen: \"example.com:80\" is not a listen address"));
  EXPECT_THAT(error_of("listen: 0.0.0.0:65536"),
              HasSubstr("listen: \"0.0.0.0:65536\" is not a listen address"));
  EXPECT_THAT(error_of("metrics_listen: \"::1:9090\""),
              HasSubstr("metrics_listen: \"::1:9090\" is not a listen address"));
  EXPECT_THAT(error_of("listen: 1.2.3.4:-1"), HasSubstr("is not a listen address"));
}

TEST(ConfigErrors, MetricsCannotShareTheListenAddress) {
  EXPECT_THAT(error_of("listen: 127.0.0.1:9000\nmetrics_listen: 127.0.0.1:9000\n"),
              HasSubstr("weir.yml:2:17: metrics_listen: \"127.0.0.1:9000\" is also the listen"));
  EXPECT_EQ(load("listen: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\n").metrics_listen.port, 0);
}

TEST(ConfigErrors, RoutePrefixMustBeAPathAndUnique) {
  EXPECT_THAT(error_of("limits:\n  routes:\n    - { prefix: /a, requests: 1, window: 1s }\n"
                       "    - { prefix: /b, requests: 1, window: 1s }\n"
                       "    - { prefix: /a, requests: 2, window: 2s }\n"),
              HasSubstr("weir.yml:5:17: limits.routes[2].prefix: \"/a\" matches the same "
                        "paths as limits.routes[0] (\"/a\")"));
  EXPECT_THAT(error_of("limits:\n  routes:\n    - { prefix: /api, requests: 1, window: 1s }\n"
                       "    - { prefix: \"//api/./\", requests: 2, window: 2s }\n"),
              HasSubstr("limits.routes[1].prefix: \"//api/./\" matches the same paths as "
                        "limits.routes[0] (\"/api\")"));
  EXPECT_THAT(error_of("limits: { routes: [{ prefix: /%zz, requests: 1, window: 1s }] }"),
              HasSubstr("limits.routes[0].prefix: \"/%zz\" is not a path prefix"));
  EXPECT_THAT(error_of("limits: { routes: [{ prefix: \"/a?b\", requests: 1, window: 1s }] }"),
              HasSubstr("limits.routes[0].prefix: \"/a?b\" is not a path prefix"));
  EXPECT_THAT(error_of("limits: { routes: [{ prefix: api, requests: 1, window: 1s }] }"),
              HasSubstr("limits.routes[0].prefix: \"api\" must start with '/'"));
  EXPECT_THAT(error_of("limits: { routes: [{ prefix: \"/a b\", requests: 1, window: 1s }] }"),
              HasSubstr("limits.routes[0].prefix: \"/a b\" is not a path prefix"));
}

TEST(ConfigErrors, RouteNeedsPrefixRequestsAndWindow) {
  EXPECT_THAT(error_of("limits: { routes: [{ requests: 1, window: 1s }] }"),
              HasSubstr("limits.routes[0]: a route needs a prefix"));
  EXPECT_THAT(error_of("limits: { routes: [{ prefix: /a, window: 1s }] }"),
              HasSubstr("limits.routes[0]: a route needs requests"));
  EXPECT_THAT(error_of("limits: { routes: [{ prefix: /a, requests: 1 }] }"),
              HasSubstr("limits.routes[0]: a route needs a window"));
}

TEST(ConfigErrors, RedisBackendNeedsAUrl) {
  EXPECT_THAT(error_of("store:\n  backend: redis\n"),
              HasSubstr("weir.yml:2:12: store.backend: store.backend is redis, so "
                        "store.redis_url is required"));
  EXPECT_THAT(error_of("store: { backend: redis, redis_url: \"\" }"),
              HasSubstr("store.redis_url: store.backend is redis"));
}

TEST(ConfigErrors, BadRedisUrlHidesThePassword) {
  const std::string message = error_of(
      "store:\n  backend: redis\n  redis_url: \"redis://admin:hunter2@10.0.0.5:99999/0\"\n");
  EXPECT_THAT(message, HasSubstr("weir.yml:3:14: store.redis_url: "
                                 "\"redis://admin:***@10.0.0.5:99999/0\" is not a redis url"));
  EXPECT_THAT(message, HasSubstr("99999"));
  EXPECT_THAT(message, Not(HasSubstr("hunter2")));
}

// --- Proxy mode ---------------------------------------------------------------------------

TEST(ConfigProxy, WithoutUpstreamWeirServesTheDemoApi) {
  const Config config = load("");
  EXPECT_FALSE(config.upstream);
  EXPECT_TRUE(config.upstream_host.empty());
  EXPECT_EQ(config.upstream_pool.max_idle, 64u);
  EXPECT_EQ(config.upstream_timeouts.connect, seconds(5));
  EXPECT_EQ(config.upstream_timeouts.response, seconds(60));

  EXPECT_FALSE(load("upstream: \"\"").upstream);
}

TEST(ConfigProxy, ReadsEveryProxyKey) {
  const Config config = load(R"(
upstream: "http://10.0.0.7:3000/base/"
upstream_host: "api.example.com"
upstream_pool: { max_idle: 8 }
upstream_timeouts: { connect: 250ms, response: 2m }
)");
  ASSERT_TRUE(config.upstream);
  EXPECT_EQ(config.upstream->host, "10.0.0.7");
  EXPECT_EQ(config.upstream->port, 3000);
  EXPECT_EQ(config.upstream->base_path, "/base");
  EXPECT_EQ(config.upstream_host, "api.example.com");
  EXPECT_EQ(config.upstream_pool.max_idle, 8u);
  EXPECT_EQ(config.upstream_timeouts.connect, milliseconds(250));
  EXPECT_EQ(config.upstream_timeouts.response, minutes(2));
  EXPECT_EQ(load("upstream_pool: { max_idle: 0 }").upstream_pool.max_idle, 0u);
}

TEST(ConfigProxy, BadUpstreamUrlNamesKeyAndReason) {
  EXPECT_THAT(error_of("upstream: \"https://10.0.0.7\""),
              AllOf(HasSubstr("weir.yml:1:11: upstream: \"https://10.0.0.7\" is not an upstream "
                              "url"),
                    HasSubstr("https")));
  EXPECT_THAT(error_of("upstream: \"10.0.0.7:3000\""), HasSubstr("scheme must be http://"));
  EXPECT_THAT(error_of("upstream: \"http://10.0.0.7:0\""), HasSubstr("1..65535"));
  EXPECT_THAT(error_of("upstream: \"http://10.0.0.7/a?b=1\""), HasSubstr("query"));
}

TEST(ConfigProxy, RefusesBadProxyValues) {
  EXPECT_THAT(error_of("upstream_host: \"a b\""),
              HasSubstr("upstream_host: \"a b\" is not a host"));
  EXPECT_THAT(error_of("upstream_host: \"x\\r\\nX-Evil: 1\""), HasSubstr("is not a host"));
  EXPECT_THAT(error_of("upstream_pool: { max_idle: 100001 }"), HasSubstr("upstream_pool.max_idle"));
  EXPECT_THAT(error_of("upstream_pool: { idle: 3 }"),
              HasSubstr("upstream_pool.idle: unknown key (valid keys here: max_idle)"));
  EXPECT_THAT(error_of("upstream_timeouts: { connect: 0s }"),
              HasSubstr("upstream_timeouts.connect: 0s is out of range"));
  EXPECT_THAT(error_of("upstream_timeouts: { response: 2h }"),
              HasSubstr("upstream_timeouts.response"));
}

}  // namespace
}  // namespace weir::config
