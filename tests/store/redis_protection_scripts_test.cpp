// The ban and block scripts' commands and replies, without a server: keys fit Redis Cluster,
// and replies of the wrong shape are refused rather than misread.
#include "store/redis_protection_scripts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "store/redis_cluster_slot.hpp"
#include "support/fake_redis_reply.hpp"

namespace weir {
namespace {

using namespace std::chrono_literals;
using testing::FakeReply;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

const BanPolicy kPolicy{.after = 5, .within = 60s, .duration = 10min, .max_duration = 24h};

TEST(RedisProtectionScripts, EveryCommandTouchesOneClusterSlot) {
  const Cidr network = *Cidr::parse("198.51.100.0/24");
  const IpAddress client = ip("2001:db8::");
  for (const RedisCommand& command :
       {ban_check_command("weir", client), ban_record_command("weir", client, kPolicy),
        ban_lift_command("weir", client), ban_index_add_command("weir", client, 1s, 1s, 1),
        ban_index_remove_command("weir", client), ban_list_command("weir", 10),
        block_put_command("weir", network, std::nullopt, 10), block_remove_command("weir", network),
        block_list_command("weir")}) {
    ASSERT_FALSE(command.keys.empty()) << command.script->name;
    std::set<std::uint16_t> slots;
    for (const std::string& key : command.keys)
      slots.insert(redis_cluster_slot(key));
    EXPECT_EQ(slots.size(), 1u) << command.script->name;
  }
}

TEST(RedisProtectionScripts, ClientsKeysCarryTheClientAsHashTag) {
  EXPECT_EQ(ban_check_command("weir", ip("198.51.100.7")).keys,
            (std::vector<std::string>{"weir:{198.51.100.7}:ban"}));
  EXPECT_EQ(ban_record_command("edge", ip("2001:db8::"), kPolicy).keys,
            (std::vector<std::string>{"edge:{2001:db8::}:ban"}));
  EXPECT_EQ(ban_list_command("weir", 3).keys,
            (std::vector<std::string>{"weir:{bans}:index", "weir:{bans}:detail"}));
  EXPECT_EQ(block_list_command("weir").keys, (std::vector<std::string>{"weir:blocks"}));
}

TEST(RedisProtectionScripts, ArgumentsAreInMicroseconds) {
  EXPECT_EQ(ban_record_command("weir", ip("192.0.2.1"), kPolicy).args,
            (std::vector<std::string>{"5", "60000000", "600000000", "86400000000"}));
  EXPECT_EQ(ban_index_add_command("weir", ip("192.0.2.1"), 1500ms, 10min, 2).args,
            (std::vector<std::string>{"192.0.2.1", "1500000", "600000000", "2"}));
  EXPECT_EQ(block_put_command("weir", *Cidr::parse("10.0.0.0/8"), 30s, 7).args,
            (std::vector<std::string>{"10.0.0.0/8", "30000000", "7"}));
  EXPECT_EQ(block_put_command("weir", *Cidr::parse("10.0.0.0/8"), std::nullopt, 7).args[1], "");
}

TEST(RedisProtectionScripts, ScriptsAreAmongThoseLoadedOnConnect) {
  const auto& all = redis_scripts();
  for (const RedisScript* script : redis_protection_scripts()) {
    EXPECT_NE(std::find(all.begin(), all.end(), script), all.end()) << script->name;
  }
}

TEST(RedisProtectionScripts, ReadsABanStrike) {
  const auto started =
      read_ban_record(*FakeReply::integers({1, 600'000'000, 600'000'000, 1}).get());
  ASSERT_TRUE(started);
  EXPECT_TRUE(started->started);
  EXPECT_EQ(started->remaining, 10min);
  EXPECT_EQ(started->bans, 1u);

  const auto counted = read_ban_record(*FakeReply::integers({0, 0, 0, 0}).get());
  ASSERT_TRUE(counted);
  EXPECT_FALSE(counted->started);

  // A ban that started must be in force.
  EXPECT_FALSE(read_ban_record(*FakeReply::integers({1, 0, 600'000'000, 1}).get()));
  EXPECT_FALSE(read_ban_record(*FakeReply::integers({2, 1, 1, 1}).get()));
  EXPECT_FALSE(read_ban_record(*FakeReply::integers({0, 0, 0}).get()));
}

TEST(RedisProtectionScripts, RefusesDurationsOutOfRange) {
  EXPECT_EQ(read_ban_check(*FakeReply::integer(1500).get()), Duration(1500));
  EXPECT_EQ(read_ban_check(*FakeReply::integer(0).get()), Duration(0));
  EXPECT_FALSE(read_ban_check(*FakeReply::integer(-1).get()));
  EXPECT_FALSE(read_ban_check(*FakeReply::integer(1LL << 60).get()));
  EXPECT_FALSE(read_ban_check(*FakeReply::string("5").get()));
  EXPECT_EQ(read_flag(*FakeReply::integer(1).get()), true);
  EXPECT_FALSE(read_flag(*FakeReply::integer(2).get()));
}

TEST(RedisProtectionScripts, ReadsABanListSkippingWhatIsNotAnAddress) {
  auto reply = FakeReply::array(
      {FakeReply::integer(7), FakeReply::string("192.0.2.1"), FakeReply::integer(1'000'000),
       FakeReply::integer(600'000'000), FakeReply::integer(2), FakeReply::string("junk"),
       FakeReply::integer(1), FakeReply::integer(1), FakeReply::integer(1)});
  const auto list = read_ban_list(*reply.get());
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 7u);
  ASSERT_EQ(list->bans.size(), 1u);
  EXPECT_EQ(list->bans[0].client, ip("192.0.2.1"));
  EXPECT_EQ(list->bans[0].remaining, 1s);
  EXPECT_EQ(list->bans[0].length, 10min);
  EXPECT_EQ(list->bans[0].bans, 2u);

  EXPECT_FALSE(read_ban_list(*FakeReply::integers({1, 2}).get()));
  EXPECT_FALSE(read_ban_list(*FakeReply::array({}).get()));
}

TEST(RedisProtectionScripts, ReadsABlockList) {
  auto reply = FakeReply::array({FakeReply::string("10.0.0.0/8"), FakeReply::integer(-1),
                                 FakeReply::string("2001:db8::/32"), FakeReply::integer(30'000'000),
                                 FakeReply::string("not a cidr"), FakeReply::integer(-1)});
  const auto blocks = read_block_list(*reply.get());
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].network, *Cidr::parse("10.0.0.0/8"));
  EXPECT_FALSE((*blocks)[0].remaining);
  EXPECT_EQ((*blocks)[1].remaining, 30s);

  EXPECT_FALSE(read_block_list(*FakeReply::array({FakeReply::string("10.0.0.0/8")}).get()));
  EXPECT_FALSE(read_block_list(
      *FakeReply::array({FakeReply::string("10.0.0.0/8"), FakeReply::integer(-2)}).get()));
}

}  // namespace
}  // namespace weir
