// weir's Redis scripts and the text around them: which script runs an algorithm, the keys it
// touches, its arguments, and what its reply means. The scripts that keep bans and dynamic
// blocks are described in redis_protection_scripts.hpp.
//
// Every algorithm is one Lua script (src/store/lua/*.lua, embedded at build time) that reads,
// decides and writes one client's state atomically on the server. A script's keys share one
// hash tag, so the same scripts run on Redis Cluster:
//
//   weir:{3:198.51.100.7}:log    sliding_log members     weir:{3:198.51.100.7}:sc    counter
//   weir:{3:198.51.100.7}:logm   sliding_log sequence    weir:{3:198.51.100.7}:gcra  TAT
//
// Pure functions: nothing here does I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/clock.hpp"
#include "weir/decision.hpp"
#include "weir/limit.hpp"
#include "weir/rate_key.hpp"

struct redisReply;

namespace weir {

struct RedisScript {
  std::string_view name;    // the file name without .lua
  std::string_view source;  // exactly the file's bytes
  std::string_view sha1;    // lowercase hex of source: what EVALSHA calls it by
};

class RedisCall;

// The script deciding `algorithm`.
const RedisScript& redis_script(Algorithm algorithm);
// All scripts, the ban and block ones included, for loading on connect.
const std::vector<const RedisScript*>& redis_scripts();

// The arguments of one script call, without the command name: "sha-or-source numkeys keys...
// requests window burst [time]". `at` overrides the server's TIME (tests and parity checks).
std::vector<std::string> redis_script_arguments(std::string_view prefix, const RateKey& key,
                                                const Limit& limit, std::string_view sha_or_source,
                                                std::optional<Instant> at);

// The keys a decision for `key` under `algorithm` touches, for inspection and tests.
std::vector<std::string> redis_keys(std::string_view prefix, const RateKey& key,
                                    Algorithm algorithm);

// What a script's reply says.
enum class RedisReplyKind {
  kDecision,     // {allowed, remaining, reset_us, retry_after_us}, all in range
  kAnswer,       // a RedisCall's reply, which the call has read
  kNoScript,     // the server lost the script: load it and call again
  kUnavailable,  // an error saying the server cannot serve now (LOADING, BUSY, READONLY, ...)
  kError,        // any other error reply (WRONGTYPE, ...)
  kMalformed,    // not the shape a script returns
};

struct ParsedReply {
  RedisReplyKind kind = RedisReplyKind::kMalformed;
  Decision decision;   // kDecision only
  std::string detail;  // the error text, or what was wrong with the shape; for logs
};

// Interprets a script's reply for a decision under `limit`. A null reply is kMalformed. Never
// throws, except std::bad_alloc.
ParsedReply parse_script_reply(const redisReply* reply, const Limit& limit);

// Interprets the reply to `call`: an error reply as above, anything else as call.read() takes
// it (kAnswer, or kMalformed when it refuses it). A null reply is kMalformed.
ParsedReply parse_call_reply(const redisReply* reply, RedisCall& call);

}  // namespace weir
