#include "store/redis_protection_scripts.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <limits>
#include <string>

#include "weir/lua/ban_check.hpp"
#include "weir/lua/ban_index.hpp"
#include "weir/lua/ban_lift.hpp"
#include "weir/lua/ban_list.hpp"
#include "weir/lua/ban_record.hpp"
#include "weir/lua/block_list.hpp"
#include "weir/lua/block_put.hpp"
#include "weir/lua/block_remove.hpp"

namespace weir {

namespace {

const RedisScript kBanCheck{"ban_check", lua::ban_check::kSource, lua::ban_check::kSha1};
const RedisScript kBanRecord{"ban_record", lua::ban_record::kSource, lua::ban_record::kSha1};
const RedisScript kBanLift{"ban_lift", lua::ban_lift::kSource, lua::ban_lift::kSha1};
const RedisScript kBanIndex{"ban_index", lua::ban_index::kSource, lua::ban_index::kSha1};
const RedisScript kBanList{"ban_list", lua::ban_list::kSource, lua::ban_list::kSha1};
const RedisScript kBlockPut{"block_put", lua::block_put::kSource, lua::block_put::kSha1};
const RedisScript kBlockRemove{"block_remove", lua::block_remove::kSource,
                               lua::block_remove::kSha1};
const RedisScript kBlockList{"block_list", lua::block_list::kSource, lua::block_list::kSha1};

// Bans last at most 8760h and block TTLs at most 365 days (the configuration's and the admin
// API's bounds): no honest reply speaks of more than this.
constexpr long long kMaxMicros = 400LL * 24 * 3600 * 1'000'000;

std::string ban_key(std::string_view prefix, const IpAddress& client) {
  return fmt::format("{}:{{{}}}:ban", prefix, client.to_string());
}

std::vector<std::string> index_keys(std::string_view prefix) {
  return {fmt::format("{}:{{bans}}:index", prefix), fmt::format("{}:{{bans}}:detail", prefix)};
}

std::string blocks_key(std::string_view prefix) {
  return fmt::format("{}:blocks", prefix);
}

std::string micros(Duration d) {
  return std::to_string(d.count());
}

bool is_integer(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_INTEGER;
}

bool is_string(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_STRING;
}

// An integer element within 0..kMaxMicros.
std::optional<Duration> duration_of(const redisReply* reply) {
  if (!is_integer(reply) || reply->integer < 0 || reply->integer > kMaxMicros) return std::nullopt;
  return Duration(reply->integer);
}

std::optional<std::uint32_t> count_of(const redisReply* reply) {
  if (!is_integer(reply) || reply->integer < 0 ||
      reply->integer > std::numeric_limits<std::uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(reply->integer);
}

}  // namespace

const std::vector<const RedisScript*>& redis_protection_scripts() {
  static const std::vector<const RedisScript*> scripts{&kBanCheck,    &kBanRecord, &kBanLift,
                                                       &kBanIndex,    &kBanList,   &kBlockPut,
                                                       &kBlockRemove, &kBlockList};
  return scripts;
}

RedisCommand ban_check_command(std::string_view prefix, const IpAddress& client) {
  return {&kBanCheck, {ban_key(prefix, client)}, {}};
}

RedisCommand ban_record_command(std::string_view prefix, const IpAddress& client,
                                const BanPolicy& policy) {
  return {&kBanRecord,
          {ban_key(prefix, client)},
          {std::to_string(policy.after), micros(policy.within), micros(policy.duration),
           micros(policy.max_duration)}};
}

RedisCommand ban_lift_command(std::string_view prefix, const IpAddress& client) {
  return {&kBanLift, {ban_key(prefix, client)}, {}};
}

RedisCommand ban_index_add_command(std::string_view prefix, const IpAddress& client,
                                   Duration remaining, Duration length, std::uint32_t bans) {
  // A ban with nothing left is not listed: at least a microsecond, or the script removes it.
  return {&kBanIndex,
          index_keys(prefix),
          {client.to_string(), micros(std::max(remaining, Duration(1))), micros(length),
           std::to_string(bans)}};
}

RedisCommand ban_index_remove_command(std::string_view prefix, const IpAddress& client) {
  return {&kBanIndex, index_keys(prefix), {client.to_string(), "0", "0", "0"}};
}

RedisCommand ban_list_command(std::string_view prefix, std::size_t max) {
  return {&kBanList, index_keys(prefix), {std::to_string(max)}};
}

RedisCommand block_put_command(std::string_view prefix, const Cidr& network,
                               std::optional<Duration> ttl, std::size_t max_blocks) {
  return {&kBlockPut,
          {blocks_key(prefix)},
          {network.to_string(), ttl ? micros(*ttl) : std::string(), std::to_string(max_blocks)}};
}

RedisCommand block_remove_command(std::string_view prefix, const Cidr& network) {
  return {&kBlockRemove, {blocks_key(prefix)}, {network.to_string()}};
}

RedisCommand block_list_command(std::string_view prefix) {
  return {&kBlockList, {blocks_key(prefix)}, {}};
}

std::optional<Duration> read_ban_check(const redisReply& reply) {
  return duration_of(&reply);
}

std::optional<BanRecordReply> read_ban_record(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 4) return std::nullopt;
  const auto started = count_of(reply.element[0]);
  const auto remaining = duration_of(reply.element[1]);
  const auto length = duration_of(reply.element[2]);
  const auto bans = count_of(reply.element[3]);
  if (!started || *started > 1 || !remaining || !length || !bans) return std::nullopt;
  // A ban that started is in force and counted.
  if (*started == 1 && (*remaining <= Duration(0) || *bans == 0)) return std::nullopt;
  return BanRecordReply{*started == 1, *remaining, *length, *bans};
}

std::optional<bool> read_flag(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_INTEGER || (reply.integer != 0 && reply.integer != 1)) {
    return std::nullopt;
  }
  return reply.integer == 1;
}

std::optional<RedisBanList> read_ban_list(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0 || (reply.elements - 1) % 4 != 0 ||
      !is_integer(reply.element[0]) || reply.element[0]->integer < 0) {
    return std::nullopt;
  }
  RedisBanList list;
  list.total = static_cast<std::size_t>(reply.element[0]->integer);
  for (std::size_t i = 1; i < reply.elements; i += 4) {
    const redisReply* client = reply.element[i];
    const auto remaining = duration_of(reply.element[i + 1]);
    const auto length = duration_of(reply.element[i + 2]);
    const auto bans = count_of(reply.element[i + 3]);
    if (!is_string(client) || !remaining || !length || !bans) return std::nullopt;
    const auto address = IpAddress::parse(std::string_view(client->str, client->len));
    if (!address) continue;
    list.bans.push_back(RedisBan{*address, *remaining, *length, *bans});
  }
  return list;
}

std::optional<std::vector<RedisBlock>> read_block_list(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements % 2 != 0) return std::nullopt;
  std::vector<RedisBlock> blocks;
  blocks.reserve(reply.elements / 2);
  for (std::size_t i = 0; i < reply.elements; i += 2) {
    const redisReply* network = reply.element[i];
    const redisReply* remaining = reply.element[i + 1];
    if (!is_string(network) || !is_integer(remaining)) return std::nullopt;
    RedisBlock block;
    if (remaining->integer != -1) {
      const auto left = duration_of(remaining);
      if (!left) return std::nullopt;
      block.remaining = *left;
    }
    const auto cidr = Cidr::parse(std::string_view(network->str, network->len));
    if (!cidr) continue;
    block.network = *cidr;
    blocks.push_back(block);
  }
  return blocks;
}

}  // namespace weir
