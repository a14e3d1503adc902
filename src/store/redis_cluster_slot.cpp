#include "store/redis_cluster_slot.hpp"

namespace weir {

std::uint16_t redis_crc16(std::string_view data) {
  // Bit by bit: a key is hashed once per decision and is a few dozen bytes long, so a table
  // would buy nothing measurable.
  std::uint16_t crc = 0;
  for (const char c : data) {
    crc ^= static_cast<std::uint16_t>(static_cast<unsigned char>(c) << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::uint16_t redis_cluster_slot(std::string_view key) {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    // "{}" hashes the whole key, as Redis does.
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(redis_crc16(key) % kRedisClusterSlots);
}

}  // namespace weir
