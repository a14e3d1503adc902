#include "store/redis_scripts.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <array>
#include <cstdint>

#include "store/redis_call.hpp"
#include "store/redis_protection_scripts.hpp"
#include "weir/lua/gcra.hpp"
#include "weir/lua/sliding_counter.hpp"
#include "weir/lua/sliding_log.hpp"

namespace weir {

namespace {

const RedisScript kSlidingLog{"sliding_log", lua::sliding_log::kSource, lua::sliding_log::kSha1};
const RedisScript kSlidingCounter{"sliding_counter", lua::sliding_counter::kSource,
                                  lua::sliding_counter::kSha1};
const RedisScript kGcra{"gcra", lua::gcra::kSource, lua::gcra::kSha1};

// "weir:{3:198.51.100.7}": the hash tag holds rule and client, so one client's keys for one
// rule sit in one cluster slot while different clients spread over all slots.
std::string key_base(std::string_view prefix, const RateKey& key) {
  return fmt::format("{}:{{{}:{}}}", prefix, key.rule, key.client.to_string());
}

// Error replies that say the server cannot serve this connection now: it is starting, busy
// with a slow script, a replica after failover, a cluster without a quorum, or it refused the
// password. They count toward the circuit breaker like a timeout.
bool is_unavailable_error(std::string_view text) {
  constexpr std::array<std::string_view, 8> kPrefixes{"LOADING",    "BUSY",     "READONLY",
                                                      "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
                                                      "NOAUTH",     "WRONGPASS"};
  for (const auto prefix : kPrefixes) {
    if (text.starts_with(prefix)) return true;
  }
  return false;
}

ParsedReply malformed(std::string detail) {
  return ParsedReply{RedisReplyKind::kMalformed, Decision{}, std::move(detail)};
}

// An error reply: NOSCRIPT, a server that cannot serve now, or another error.
ParsedReply parse_error(const redisReply& reply) {
  std::string text(reply.str, reply.len);
  RedisReplyKind kind = RedisReplyKind::kError;
  if (text.starts_with("NOSCRIPT")) {
    kind = RedisReplyKind::kNoScript;
  } else if (is_unavailable_error(text)) {
    kind = RedisReplyKind::kUnavailable;
  }
  return ParsedReply{kind, Decision{}, std::move(text)};
}

}  // namespace

const RedisScript& redis_script(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSlidingLog:
      return kSlidingLog;
    case Algorithm::kSlidingCounter:
      return kSlidingCounter;
    case Algorithm::kGcra:
      return kGcra;
  }
  return kSlidingLog;
}

const std::vector<const RedisScript*>& redis_scripts() {
  static const std::vector<const RedisScript*> scripts = [] {
    std::vector<const RedisScript*> all{&kSlidingLog, &kSlidingCounter, &kGcra};
    const auto& protection = redis_protection_scripts();
    all.insert(all.end(), protection.begin(), protection.end());
    return all;
  }();
  return scripts;
}

std::vector<std::string> redis_keys(std::string_view prefix, const RateKey& key,
                                    Algorithm algorithm) {
  std::string base = key_base(prefix, key);
  switch (algorithm) {
    case Algorithm::kSlidingLog:
      return {base + ":log", base + ":logm"};
    case Algorithm::kSlidingCounter:
      return {base + ":sc"};
    case Algorithm::kGcra:
      return {base + ":gcra"};
  }
  return {};
}

std::vector<std::string> redis_script_arguments(std::string_view prefix, const RateKey& key,
                                                const Limit& limit, std::string_view sha_or_source,
                                                std::optional<Instant> at) {
  std::vector<std::string> keys = redis_keys(prefix, key, limit.algorithm);

  std::vector<std::string> args;
  args.reserve(keys.size() + 6);
  args.emplace_back(sha_or_source);
  args.push_back(std::to_string(keys.size()));
  for (auto& k : keys)
    args.push_back(std::move(k));
  args.push_back(std::to_string(limit.requests));
  args.push_back(std::to_string(limit.window.count()));
  args.push_back(std::to_string(limit.burst));
  if (at) args.push_back(std::to_string(at->time_since_epoch().count()));
  return args;
}

ParsedReply parse_script_reply(const redisReply* reply, const Limit& limit) {
  if (reply == nullptr) return malformed("no reply");

  if (reply->type == REDIS_REPLY_ERROR) return parse_error(*reply);

  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
    return malformed(fmt::format("reply of type {} with {} elements, expected an array of 4",
                                 reply->type, reply->elements));
  }
  std::array<long long, 4> values{};
  for (std::size_t i = 0; i < 4; ++i) {
    const redisReply* element = reply->element[i];
    if (element == nullptr || element->type != REDIS_REPLY_INTEGER) {
      return malformed(fmt::format("element {} is not an integer", i));
    }
    values[i] = element->integer;
  }

  // A window is at most a day and a GCRA burst at most 100 windows, so no honest reset or
  // retry_after exceeds 100 days.
  constexpr long long kMaxDuration = 100LL * 24 * 3600 * 1'000'000;
  const auto [allowed, remaining, reset, retry_after] = values;
  if (allowed != 0 && allowed != 1) return malformed("allowed is neither 0 nor 1");
  if (remaining < 0 || remaining > static_cast<long long>(limit.requests)) {
    return malformed(fmt::format("remaining {} outside 0..{}", remaining, limit.requests));
  }
  if (reset < 0 || reset > kMaxDuration || retry_after < 0 || retry_after > kMaxDuration) {
    return malformed(fmt::format("reset {} or retry_after {} out of range", reset, retry_after));
  }

  Decision decision;
  decision.allowed = allowed == 1;
  decision.limit = limit.requests;
  decision.remaining = static_cast<std::uint32_t>(remaining);
  decision.reset = Duration(reset);
  decision.retry_after = Duration(retry_after);
  return ParsedReply{RedisReplyKind::kDecision, decision, {}};
}

ParsedReply parse_call_reply(const redisReply* reply, RedisCall& call) {
  if (reply == nullptr) return malformed("no reply");
  if (reply->type == REDIS_REPLY_ERROR) return parse_error(*reply);
  if (!call.read(*reply)) {
    return malformed(fmt::format("reply of type {} with {} elements is not what {} returns",
                                 reply->type, reply->elements, call.command().script->name));
  }
  return ParsedReply{RedisReplyKind::kAnswer, Decision{}, {}};
}

}  // namespace weir
