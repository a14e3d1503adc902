// The Redis scripts that keep bans and dynamic blocks: the command for each operation, the
// keys it touches, and what its reply means.
//
// Keys, with the default prefix "weir":
//
//   weir:{198.51.100.7}:ban   hash, one per client: its strikes, its latest ban and how many
//                             it has had; a TTL makes Redis forget it when the embedded store
//                             would (clean for max_duration after its last ban)
//   weir:{bans}:index         sorted set: client -> end of its ban, for bans in force only
//   weir:{bans}:detail        hash: client -> "length bans", beside the index
//   weir:blocks               hash: network (CIDR text) -> expiry, 0 for until removed
//
// A client's key carries the client as its hash tag, so clients spread over every cluster
// slot; the two index keys share the tag {bans}. No script touches keys of two slots, so a
// ban is recorded in two steps (the client's key, then the index: see RedisProtection).
//
// Scripts read the server's TIME and reply with durations (microseconds left), never with
// the server's instants: the caller adds them to its own clock.
//
// Pure functions: nothing here does I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "store/redis_call.hpp"
#include "weir/ban_policy.hpp"
#include "weir/cidr.hpp"
#include "weir/clock.hpp"
#include "weir/ip_address.hpp"

struct redisReply;

namespace weir {

// The ban and block scripts, for loading on connect.
const std::vector<const RedisScript*>& redis_protection_scripts();

// ---- Commands. `prefix` is RedisStoreOptions::key_prefix.

// Replies with the microseconds left of `client`'s ban (read_ban_check).
RedisCommand ban_check_command(std::string_view prefix, const IpAddress& client);
// Counts a rejection under `policy` (read_ban_record).
RedisCommand ban_record_command(std::string_view prefix, const IpAddress& client,
                                const BanPolicy& policy);
// Ends the ban and forgets the client (read_flag: whether a ban was in force).
RedisCommand ban_lift_command(std::string_view prefix, const IpAddress& client);
// Lists a ban that has `remaining` left in the index (read_flag).
RedisCommand ban_index_add_command(std::string_view prefix, const IpAddress& client,
                                   Duration remaining, Duration length, std::uint32_t bans);
// Takes the client out of the index (read_flag).
RedisCommand ban_index_remove_command(std::string_view prefix, const IpAddress& client);
// Counts the bans in force and lists at most `max` (read_ban_list).
RedisCommand ban_list_command(std::string_view prefix, std::size_t max);
// Blocks `network` for `ttl` (nullopt: until removed), refusing a new network when
// `max_blocks` are held (read_flag: whether it was stored).
RedisCommand block_put_command(std::string_view prefix, const Cidr& network,
                               std::optional<Duration> ttl, std::size_t max_blocks);
// Unblocks `network` (read_flag: whether it was blocked).
RedisCommand block_remove_command(std::string_view prefix, const Cidr& network);
// Lists the blocks not expired, dropping the others (read_block_list).
RedisCommand block_list_command(std::string_view prefix);

// ---- Replies. Each returns nullopt when the reply is not of the script's shape or range.

// The microseconds left of a ban; 0 when there is none.
std::optional<Duration> read_ban_check(const redisReply& reply);

struct BanRecordReply {
  bool started = false;    // this rejection started a ban
  Duration remaining{0};   // left of the ban in force (0: none)
  Duration length{0};      // of the latest ban
  std::uint32_t bans = 0;  // bans so far, the latest included
};
std::optional<BanRecordReply> read_ban_record(const redisReply& reply);

// An integer reply of 0 or 1.
std::optional<bool> read_flag(const redisReply& reply);

struct RedisBan {
  IpAddress client;
  Duration remaining{0};
  Duration length{0};
  std::uint32_t bans = 0;
};
struct RedisBanList {
  std::size_t total = 0;
  std::vector<RedisBan> bans;
};
// An entry whose client is not an address (a key written by something else) is skipped.
std::optional<RedisBanList> read_ban_list(const redisReply& reply);

struct RedisBlock {
  Cidr network;
  std::optional<Duration> remaining;  // nullopt: until removed
};
// An entry that is not a CIDR (written by something else) is skipped.
std::optional<std::vector<RedisBlock>> read_block_list(const redisReply& reply);

}  // namespace weir
