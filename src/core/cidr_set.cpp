// weir::CidrSet: hash sets per prefix length, and per-/16 summaries of the lengths present.
#include "weir/cidr_set.hpp"

#include <algorithm>
#include <bit>
#include <tuple>

namespace weir {
namespace {

constexpr int kV4MappedBits = 96;
constexpr std::size_t kV4Slots = std::size_t{1} << 16;
constexpr int kSlotBits = 16;  // a summary covers one /16

// The first `bits` (clamped to 0..64) bits of a 64-bit word set.
std::uint64_t word_mask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return ~std::uint64_t{0};
  return ~std::uint64_t{0} << (64 - bits);
}

// The first `length` (0..32) bits of an IPv4 address set.
std::uint32_t v4_mask(int length) {
  return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
}

int highest_bit(std::uint64_t word) {
  return 63 - std::countl_zero(word);
}

}  // namespace

CidrSet::CidrSet(const std::vector<Cidr>& networks) {
  for (const Cidr& network : networks)
    insert(network);
}

CidrSet::Key CidrSet::key_of(const IpAddress& ip) {
  const IpAddress::Bytes& bytes = ip.bytes();
  Key key;
  for (int i = 0; i < 8; ++i) {
    key.high = key.high << 8 | bytes[i];
    key.low = key.low << 8 | bytes[8 + i];
  }
  return key;
}

IpAddress CidrSet::address_of(const Key& key) {
  IpAddress::Bytes bytes;
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(key.high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(key.low >> (56 - 8 * i));
  }
  return IpAddress(bytes);
}

void CidrSet::insert(const Cidr& network) {
  const int bits = std::clamp(network.bits, 0, 128);
  const IpAddress masked = network.network.masked(bits);
  const bool added = bits >= kV4MappedBits && masked.is_v4()
                         ? insert_v4(masked.v4(), bits - kV4MappedBits)
                         : insert_v6(key_of(masked), bits);
  if (added) ++size_;
}

bool CidrSet::erase(const Cidr& network) {
  const int bits = std::clamp(network.bits, 0, 128);
  const IpAddress masked = network.network.masked(bits);
  const bool erased = bits >= kV4MappedBits && masked.is_v4()
                          ? erase_v4(masked.v4(), bits - kV4MappedBits)
                          : erase_v6(key_of(masked), bits);
  if (erased) --size_;
  return erased;
}

std::optional<Cidr> CidrSet::longest_match(const IpAddress& ip) const {
  if (ip.is_v4()) return match_v4(ip.v4());
  return match_v6(key_of(ip));
}

bool CidrSet::insert_v4(std::uint32_t network, int length) {
  if (!v4_networks_[length].insert(network).second) return false;
  if (length == 0) return true;  // 0.0.0.0/0 is looked up in v4_networks_[0] directly

  if (v4_slots_.empty()) v4_slots_.assign(kV4Slots, 0);
  const std::uint32_t bit = std::uint32_t{1} << (length - 1);
  const std::uint32_t first = network >> kSlotBits;
  if (length <= kSlotBits) {
    const std::uint32_t count = std::uint32_t{1} << (kSlotBits - length);
    for (std::uint32_t slot = first; slot < first + count; ++slot)
      v4_slots_[slot] |= bit;
  } else {
    ++v4_long_counts_[first << 5 | static_cast<std::uint32_t>(length - 17)];
    v4_slots_[first] |= bit;
  }
  return true;
}

bool CidrSet::erase_v4(std::uint32_t network, int length) {
  if (v4_networks_[length].erase(network) == 0) return false;
  if (length == 0) return true;

  const std::uint32_t bit = std::uint32_t{1} << (length - 1);
  const std::uint32_t first = network >> kSlotBits;
  if (length <= kSlotBits) {
    // Only one network of a length up to 16 can cover a given /16: this one.
    const std::uint32_t count = std::uint32_t{1} << (kSlotBits - length);
    for (std::uint32_t slot = first; slot < first + count; ++slot)
      v4_slots_[slot] &= ~bit;
  } else {
    const auto counted = v4_long_counts_.find(first << 5 | static_cast<std::uint32_t>(length - 17));
    if (--counted->second == 0) {
      v4_long_counts_.erase(counted);
      v4_slots_[first] &= ~bit;
    }
  }
  return true;
}

std::optional<Cidr> CidrSet::match_v4(std::uint32_t address) const {
  const std::uint32_t lengths = v4_slots_.empty() ? 0 : v4_slots_[address >> kSlotBits];

  // Lengths 17..32 present in this /16: one probe each, longest first.
  for (std::uint32_t longer = lengths >> 16; longer != 0;) {
    const int bit = highest_bit(longer);
    longer &= ~(std::uint32_t{1} << bit);
    const int length = 17 + bit;
    const std::uint32_t network = address & v4_mask(length);
    if (v4_networks_[length].contains(network)) {
      return Cidr{IpAddress::from_v4(network), kV4MappedBits + length};
    }
  }

  // Lengths 1..16: the table's bit is the answer.
  if (const std::uint32_t shorter = lengths & 0xffff; shorter != 0) {
    const int length = 1 + highest_bit(shorter);
    return Cidr{IpAddress::from_v4(address & v4_mask(length)), kV4MappedBits + length};
  }
  if (!v4_networks_[0].empty()) return Cidr{IpAddress::from_v4(0), kV4MappedBits};

  // Networks shorter than the IPv4 space itself, such as ::/0.
  if (v4_covering_[1] != 0 || v4_covering_[0] != 0) {
    const int bits =
        v4_covering_[1] != 0 ? 64 + highest_bit(v4_covering_[1]) : highest_bit(v4_covering_[0]);
    return Cidr{IpAddress::from_v4(0).masked(bits), bits};
  }
  return std::nullopt;
}

namespace {

constexpr int kAnchorStep = 16;

// The key of the summary of `key`'s prefix at anchor length `anchor` (16..112).
template <typename K>
K anchor_key(const K& key, int anchor) {
  return K{key.high & word_mask(anchor),
           (key.low & word_mask(anchor - 64)) | static_cast<std::uint64_t>(anchor / kAnchorStep)};
}

// The greatest anchor below `bits` (17..128).
int anchor_below(int bits) {
  return (bits - 1) / kAnchorStep * kAnchorStep;
}

}  // namespace

bool CidrSet::insert_v6(const Key& network, int bits) {
  if (!v6_networks_[bits].insert(network).second) return false;
  mark_v4_covering(network, bits, true);

  if (bits <= kSlotBits) {
    v6_short_lengths_ |= std::uint32_t{1} << bits;
    return true;
  }
  for (int anchor = kAnchorStep; anchor < bits; anchor += kAnchorStep) {
    ++v6_summaries_[anchor_key(network, anchor)].below;
  }
  const int anchor = anchor_below(bits);
  Key counted = anchor_key(network, anchor);
  counted.low |= static_cast<std::uint64_t>(bits) << 3;
  ++v6_length_counts_[counted];
  v6_summaries_[anchor_key(network, anchor)].lengths |=
      static_cast<std::uint16_t>(1u << (bits - anchor - 1));
  return true;
}

bool CidrSet::erase_v6(const Key& network, int bits) {
  if (v6_networks_[bits].erase(network) == 0) return false;
  mark_v4_covering(network, bits, false);

  if (bits <= kSlotBits) {
    if (v6_networks_[bits].empty()) v6_short_lengths_ &= ~(std::uint32_t{1} << bits);
    return true;
  }

  // The last network of its length under its anchor prefix: clear the length's bit.
  const int anchor = anchor_below(bits);
  Key counted = anchor_key(network, anchor);
  counted.low |= static_cast<std::uint64_t>(bits) << 3;
  const auto count = v6_length_counts_.find(counted);
  if (--count->second == 0) {
    v6_length_counts_.erase(count);
    v6_summaries_[anchor_key(network, anchor)].lengths &=
        static_cast<std::uint16_t>(~(1u << (bits - anchor - 1)));
  }

  for (int at = kAnchorStep; at < bits; at += kAnchorStep) {
    const auto summary = v6_summaries_.find(anchor_key(network, at));
    if (--summary->second.below == 0) v6_summaries_.erase(summary);
  }
  return true;
}

std::optional<Cidr> CidrSet::match_v6(const Key& address) const {
  const auto probe = [&](int bits) -> std::optional<Cidr> {
    const Key network{address.high & word_mask(bits), address.low & word_mask(bits - 64)};
    if (!v6_networks_[bits].contains(network)) return std::nullopt;
    return Cidr{address_of(network), bits};
  };

  // Walk down the summaries on this address's path while longer networks lie under it.
  std::uint16_t lengths[8] = {};
  int deepest = 0;
  if (!v6_summaries_.empty()) {
    for (int anchor = kAnchorStep; anchor < 128; anchor += kAnchorStep) {
      const auto summary = v6_summaries_.find(anchor_key(address, anchor));
      if (summary == v6_summaries_.end()) break;
      deepest = anchor / kAnchorStep;
      lengths[deepest] = summary->second.lengths;
    }
  }

  // Then the lengths found on the way, longest first.
  for (int level = deepest; level >= 1; --level) {
    for (std::uint32_t present = lengths[level]; present != 0;) {
      const int bit = highest_bit(present);
      present &= ~(std::uint32_t{1} << bit);
      if (auto found = probe(level * kAnchorStep + 1 + bit)) return found;
    }
  }

  // Lengths 0..16, longest first.
  for (std::uint32_t shorter = v6_short_lengths_; shorter != 0;) {
    const int bits = highest_bit(shorter);
    shorter &= ~(std::uint32_t{1} << bits);
    if (auto found = probe(bits)) return found;
  }
  return std::nullopt;
}

void CidrSet::mark_v4_covering(const Key& network, int bits, bool present) {
  // ::ffff:0:0, the first address of the IPv4 space.
  constexpr Key kV4Space{0, std::uint64_t{0xffff} << 32};
  if (bits >= kV4MappedBits) return;
  const Key mask{word_mask(bits), word_mask(bits - 64)};
  if ((kV4Space.high & mask.high) != network.high || (kV4Space.low & mask.low) != network.low) {
    return;
  }
  std::uint64_t& word = v4_covering_[bits / 64];
  const std::uint64_t bit = std::uint64_t{1} << (bits % 64);
  word = present ? word | bit : word & ~bit;
}

std::vector<Cidr> CidrSet::networks() const {
  std::vector<Cidr> out;
  out.reserve(size_);
  for (int length = 0; length <= 32; ++length) {
    for (std::uint32_t network : v4_networks_[length]) {
      out.push_back(Cidr{IpAddress::from_v4(network), kV4MappedBits + length});
    }
  }
  for (int bits = 0; bits <= 128; ++bits) {
    for (const Key& key : v6_networks_[bits])
      out.push_back(Cidr{address_of(key), bits});
  }
  std::sort(out.begin(), out.end(), [](const Cidr& a, const Cidr& b) {
    return std::tie(a.network, a.bits) < std::tie(b.network, b.bits);
  });
  return out;
}

}  // namespace weir
