#include "store/redis_protection.hpp"

#include <algorithm>
#include <utility>

#include "store/redis_protection_scripts.hpp"

namespace weir {

RedisProtection::RedisProtection(const RedisStoreOptions& options, Store& local,
                                 RedisCallSender& sender, const Clock& clock)
    : options_(options), local_(local), sender_(sender), clock_(clock), cache_(kCachedBans) {}

void RedisProtection::check_ban(const IpAddress& client, Store::BanCallback done) {
  // A banned client's flood is answered here, without Redis, for up to a second at a time.
  if (const auto until = cache_.find(client, clock_.now())) {
    std::move(done)(until);
    return;
  }

  sender_.send(make_redis_call<Duration>(
      ban_check_command(options_.key_prefix, client), read_ban_check,
      [this, client, done = std::move(done)](std::optional<Duration> left) mutable {
        if (!left) {
          if (local_fallback()) {
            local_.check_ban(client, std::move(done));
          } else {
            std::move(done)(std::nullopt);
          }
          return;
        }
        if (*left <= Duration(0)) {
          std::move(done)(std::nullopt);
          return;
        }
        const Instant now = clock_.now();
        cache_.remember(client, now + *left, now);
        std::move(done)(now + *left);
      }));
}

void RedisProtection::record_rejection(const IpAddress& client, const BanPolicy& policy,
                                       Store::BanCallback done) {
  sender_.send(make_redis_call<BanRecordReply>(
      ban_record_command(options_.key_prefix, client, policy), read_ban_record,
      [this, client, policy, done = std::move(done)](std::optional<BanRecordReply> r) mutable {
        if (!r) {
          if (local_fallback()) {
            local_.record_rejection(client, policy, std::move(done));
          } else {
            std::move(done)(std::nullopt);
          }
          return;
        }
        const Instant now = clock_.now();
        if (r->remaining > Duration(0)) cache_.remember(client, now + r->remaining, now);
        if (!r->started) {
          std::move(done)(std::nullopt);
          return;
        }

        // List the new ban before reporting it, so that whoever learns of it finds it listed.
        // The ban holds whatever the index's answer.
        const Instant until = now + r->remaining;
        sender_.send(make_redis_call<bool>(
            ban_index_add_command(options_.key_prefix, client, r->remaining, r->length, r->bans),
            read_flag, [until, done = std::move(done)](std::optional<bool>) mutable {
              std::move(done)(until);
            }));
      }));
}

void RedisProtection::list_bans(std::size_t max,
                                absl::AnyInvocable<void(std::optional<BanList>) &&> done) {
  sender_.send(make_redis_call<RedisBanList>(
      ban_list_command(options_.key_prefix, max), read_ban_list,
      [this, max, done = std::move(done)](std::optional<RedisBanList> list) mutable {
        if (!list) {
          if (local_fallback()) {
            local_.list_bans(max, std::move(done));
          } else {
            std::move(done)(std::nullopt);
          }
          return;
        }
        const Instant now = clock_.now();
        BanList out;
        out.total = list->total;
        for (const RedisBan& ban : list->bans) {
          if (out.bans.size() == max) break;
          out.bans.push_back({ban.client, now + ban.remaining, ban.length, ban.bans});
        }
        std::move(done)(std::move(out));
      }));
}

void RedisProtection::lift_ban(const IpAddress& client, Store::ChangeCallback done) {
  // Lifted here at once; other instances may enforce their cached answer up to a second more.
  cache_.forget(client);
  sender_.send(make_redis_call<bool>(
      ban_lift_command(options_.key_prefix, client), read_flag,
      [this, client, done = std::move(done)](std::optional<bool> lifted) mutable {
        if (!lifted) {
          if (local_fallback()) {
            local_.lift_ban(client, std::move(done));
          } else {
            std::move(done)(std::nullopt);
          }
          return;
        }
        // Out of the index too (also when no ban was in force: nothing is lost), before the
        // answer, so that a listing that follows no longer shows it.
        sender_.send(make_redis_call<bool>(
            ban_index_remove_command(options_.key_prefix, client), read_flag,
            [lifted = *lifted, done = std::move(done)](std::optional<bool>) mutable {
              std::move(done)(lifted);
            }));
      }));
}

void RedisProtection::put_block(const DynamicBlock& block, absl::AnyInvocable<void(bool) &&> done) {
  std::optional<Duration> ttl;
  if (block.expires) ttl = *block.expires - clock_.now();
  sender_.send(make_redis_call<bool>(
      block_put_command(options_.key_prefix, block.network, ttl, kMaxBlocks), read_flag,
      [done = std::move(done)](std::optional<bool> stored) mutable {
        std::move(done)(stored.value_or(false));
      }));
}

void RedisProtection::remove_block(const Cidr& network, Store::ChangeCallback done) {
  sender_.send(make_redis_call<bool>(
      block_remove_command(options_.key_prefix, network), read_flag,
      [done = std::move(done)](std::optional<bool> removed) mutable { std::move(done)(removed); }));
}

void RedisProtection::list_blocks(
    absl::AnyInvocable<void(std::optional<std::vector<DynamicBlock>>) &&> done) {
  sender_.send(make_redis_call<std::vector<RedisBlock>>(
      block_list_command(options_.key_prefix), read_block_list,
      [this, done = std::move(done)](std::optional<std::vector<RedisBlock>> blocks) mutable {
        if (!blocks) {
          std::move(done)(std::nullopt);
          return;
        }
        const Instant now = clock_.now();
        std::vector<DynamicBlock> out;
        out.reserve(blocks->size());
        for (const RedisBlock& block : *blocks) {
          std::optional<Instant> expires;
          if (block.remaining) expires = now + *block.remaining;
          out.push_back(DynamicBlock{block.network, expires});
        }
        // The embedded store's order: by network, then prefix length.
        std::sort(out.begin(), out.end(), [](const DynamicBlock& a, const DynamicBlock& b) {
          return std::pair(a.network.network, a.network.bits) <
                 std::pair(b.network.network, b.network.bits);
        });
        std::move(done)(std::move(out));
      }));
}

}  // namespace weir
