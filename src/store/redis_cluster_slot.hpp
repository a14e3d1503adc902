// weir::redis_cluster_slot: which of Redis Cluster's 16384 hash slots holds a key.
//
// As the cluster specification defines it: CRC16 (XMODEM: polynomial 0x1021, initial value 0,
// no reflection) of the key's hash tag, modulo 16384. The hash tag is the text between the
// first '{' and the next '}' when that is not empty; otherwise the whole key is hashed.
//
//   weir::redis_crc16("123456789");                  // 0x31C3
//   weir::redis_cluster_slot("weir:{3:10.0.0.1}:gcra");  // slot of "3:10.0.0.1"
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace weir {

inline constexpr std::uint16_t kRedisClusterSlots = 16384;

// CRC16-XMODEM of `data`.
std::uint16_t redis_crc16(std::string_view data);

// The hash slot of `key`, in 0..16383.
std::uint16_t redis_cluster_slot(std::string_view key);

}  // namespace weir
