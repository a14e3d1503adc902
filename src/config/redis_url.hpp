// weir::config::RedisUrl: where the Redis store connects, parsed from a URL.
//
//   redis://[user:password@]host[:port][/db]      TCP; port 6379 and db 0 when left out
//   unix://[user:password@]/path/to/redis.sock[?db=N]
//   redis-cluster://[user:password@]host[:port],host[:port],...   seed nodes of a Redis Cluster
//
//   auto url = weir::config::parse_redis_url("redis://weir:s3cret@10.0.0.5:6380/2");
//   url.host;        // "10.0.0.5"
//   url.redacted();  // "redis://weir:***@10.0.0.5:6380/2", safe to log
//
// The password is a secret: it never appears in a ConfigError message, and anything written to
// a log should use redacted(). User and password may be percent-encoded ("p%40ss" is "p@ss").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::config {

// One node of a Redis Cluster: where weir first asks for the slot map.
struct RedisSeed {
  std::string host;           // a host name or IP address, without brackets
  std::uint16_t port = 6379;  // 1..65535

  friend bool operator==(const RedisSeed&, const RedisSeed&) = default;
};

struct RedisUrl {
  enum class Scheme : std::uint8_t { kTcp, kUnix, kCluster };

  Scheme scheme = Scheme::kTcp;
  std::string host;           // kTcp: a host name or IP address, without brackets
  std::uint16_t port = 6379;  // kTcp: 1..65535
  std::string path;           // kUnix: absolute path of the socket
  // kCluster: the seed nodes, in the order given (at least one; host and port are the first's).
  // A cluster has only database 0.
  std::vector<RedisSeed> seeds;
  std::uint32_t db = 0;  // the logical database to SELECT
  std::string user;      // ACL user; empty means the default user
  std::string password;  // empty means no AUTH; a secret, never log it

  // The URL in canonical form with the password replaced by "***".
  std::string redacted() const;

  friend bool operator==(const RedisUrl&, const RedisUrl&) = default;
};

// Parses and validates a Redis URL. Throws weir::ConfigError on a malformed URL, naming the URL
// (with any password replaced by "***") and what is wrong; the caller adds file and key.
RedisUrl parse_redis_url(std::string_view text);

// `text` with whatever sits where a password would ("user:THIS@host") replaced by "***", for
// quoting a URL that may not parse. A lone "secret@host" is hidden whole, as it may be a
// password written without its user.
std::string redact_redis_url(std::string_view text);

}  // namespace weir::config
