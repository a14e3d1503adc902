// weir::CidrSet: hash sets of masked networks, one per prefix length present.
#include "weir/cidr_set.hpp"

#include <algorithm>
#include <tuple>

namespace weir {
namespace {

// The first `bits` (0..64) bits of a 64-bit word set.
std::uint64_t word_mask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return ~std::uint64_t{0};
  return ~std::uint64_t{0} << (64 - bits);
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

  // Find the level for this length, or make it where the longest-first order wants it.
  auto level = std::find_if(levels_.begin(), levels_.end(),
                            [bits](const Level& l) { return l.bits <= bits; });
  if (level == levels_.end() || level->bits != bits) {
    Level fresh;
    fresh.bits = bits;
    fresh.mask = Key{word_mask(bits), word_mask(bits - 64)};
    level = levels_.insert(level, std::move(fresh));
  }

  const Key key = key_of(network.network);
  if (level->networks.insert(Key{key.high & level->mask.high, key.low & level->mask.low}).second) {
    ++size_;
  }
}

bool CidrSet::erase(const Cidr& network) {
  const int bits = std::clamp(network.bits, 0, 128);
  auto level = std::find_if(levels_.begin(), levels_.end(),
                            [bits](const Level& l) { return l.bits == bits; });
  if (level == levels_.end()) return false;

  const Key key = key_of(network.network);
  if (level->networks.erase(Key{key.high & level->mask.high, key.low & level->mask.low}) == 0) {
    return false;
  }
  --size_;
  if (level->networks.empty()) levels_.erase(level);
  return true;
}

std::optional<Cidr> CidrSet::longest_match(const IpAddress& ip) const {
  const Key key = key_of(ip);
  for (const Level& level : levels_) {
    const Key network{key.high & level.mask.high, key.low & level.mask.low};
    if (level.networks.contains(network)) return Cidr{address_of(network), level.bits};
  }
  return std::nullopt;
}

std::vector<Cidr> CidrSet::networks() const {
  std::vector<Cidr> out;
  out.reserve(size_);
  for (const Level& level : levels_) {
    for (const Key& key : level.networks)
      out.push_back(Cidr{address_of(key), level.bits});
  }
  std::sort(out.begin(), out.end(), [](const Cidr& a, const Cidr& b) {
    return std::tie(a.network, a.bits) < std::tie(b.network, b.bits);
  });
  return out;
}

}  // namespace weir
