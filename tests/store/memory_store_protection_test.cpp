// MemoryStore's bans and dynamic blocks, through the Store interface.
#include <gtest/gtest.h>

#include "weir/memory_store.hpp"

namespace weir {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const BanPolicy kPolicy{
    .after = 2, .within = seconds(10), .duration = seconds(30), .max_duration = minutes(5)};

IpAddress ip(std::uint32_t n) {
  return IpAddress::from_v4(n);
}

Cidr cidr(std::string_view text) {
  return *Cidr::parse(text);
}

template <typename T, typename Op>
T call(Op op) {
  std::optional<T> out;
  op([&out](T value) { out.emplace(std::move(value)); });
  EXPECT_TRUE(out) << "the memory store answers before returning";
  return *out;
}

class MemoryStoreProtection : public ::testing::Test {
 protected:
  ManualClock clock_;
  MemoryStore store_{clock_, {.max_keys = 1000}};
  Store& store = store_;

  std::optional<Instant> check(std::uint32_t client) {
    return call<std::optional<Instant>>([&](auto cb) { store.check_ban(ip(client), cb); });
  }
  std::optional<Instant> reject(std::uint32_t client) {
    return call<std::optional<Instant>>(
        [&](auto cb) { store.record_rejection(ip(client), kPolicy, cb); });
  }
  std::vector<DynamicBlock> blocks() {
    return *call<std::optional<std::vector<DynamicBlock>>>([&](auto cb) { store.list_blocks(cb); });
  }
};

TEST_F(MemoryStoreProtection, SupportsProtection) {
  EXPECT_TRUE(store.supports_protection());
}

TEST_F(MemoryStoreProtection, BansAfterThePolicysRejectionsUntilItExpires) {
  EXPECT_FALSE(reject(7));
  auto until = reject(7);
  ASSERT_TRUE(until);
  EXPECT_EQ(*until, clock_.now() + seconds(30));
  EXPECT_EQ(check(7), until);
  EXPECT_FALSE(check(8));

  clock_.advance(seconds(30));
  EXPECT_FALSE(check(7));
}

TEST_F(MemoryStoreProtection, ListsAndLiftsBans) {
  reject(1), reject(1), reject(2), reject(2), reject(3);
  auto list = *call<std::optional<BanList>>([&](auto cb) { store.list_bans(10, cb); });
  EXPECT_EQ(list.total, 2u);
  ASSERT_EQ(list.bans.size(), 2u);

  EXPECT_EQ(call<std::optional<bool>>([&](auto cb) { store.lift_ban(ip(1), cb); }), true);
  EXPECT_FALSE(check(1));
  EXPECT_TRUE(check(2));
  EXPECT_EQ(call<std::optional<bool>>([&](auto cb) { store.lift_ban(ip(9), cb); }), false);
}

TEST_F(MemoryStoreProtection, DynamicBlocksExpireAndCanBeRemoved) {
  EXPECT_TRUE(call<bool>([&](auto cb) {
    store.put_block({cidr("198.51.100.0/24"), clock_.now() + seconds(10)}, cb);
  }));
  EXPECT_TRUE(call<bool>([&](auto cb) { store.put_block({cidr("2001:db8::/32"), {}}, cb); }));
  EXPECT_EQ(blocks().size(), 2u);

  clock_.advance(seconds(10));
  auto left = blocks();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].network, cidr("2001:db8::/32"));
  EXPECT_FALSE(left[0].expires);

  EXPECT_EQ(
      call<std::optional<bool>>([&](auto cb) { store.remove_block(cidr("2001:db8::/32"), cb); }),
      true);
  EXPECT_EQ(
      call<std::optional<bool>>([&](auto cb) { store.remove_block(cidr("2001:db8::/32"), cb); }),
      false);
  EXPECT_TRUE(blocks().empty());
}

TEST_F(MemoryStoreProtection, PuttingABlockAgainReplacesItsExpiry) {
  call<bool>([&](auto cb) {
    store.put_block({cidr("10.0.0.0/8"), clock_.now() + seconds(1)}, cb);
  });
  call<bool>([&](auto cb) { store.put_block({cidr("10.0.0.0/8"), std::nullopt}, cb); });
  clock_.advance(minutes(1));
  ASSERT_EQ(blocks().size(), 1u);
  EXPECT_FALSE(blocks()[0].expires);
}

TEST(MemoryStoreBase, StoreWithoutProtectionBansNobodyAndRefusesChanges) {
  struct Bare final : Store {
    std::optional<StoreResult> try_decide(const RateKey&, const Limit&) override { return {}; }
    void decide(const RateKey&, const Limit&, Callback done) override { std::move(done)({}); }
    std::size_t size() const override { return 0; }
  } bare;
  EXPECT_FALSE(bare.supports_protection());
  EXPECT_FALSE(
      call<std::optional<Instant>>([&](auto cb) { bare.record_rejection(ip(1), kPolicy, cb); }));
  EXPECT_FALSE(call<bool>([&](auto cb) { bare.put_block({cidr("10.0.0.0/8"), {}}, cb); }));
  EXPECT_FALSE(call<std::optional<BanList>>([&](auto cb) { bare.list_bans(1, cb); }));
}

}  // namespace
}  // namespace weir
