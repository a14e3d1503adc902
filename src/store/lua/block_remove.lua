-- weir block remove: unblocks a network.
--
-- KEYS[1]  hash: network (CIDR text) -> expiry (see block_put.lua)
-- ARGV     network
-- Returns  1 when the network was blocked (and had not expired), else 0

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local at = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
redis.call('HDEL', KEYS[1], ARGV[1])
if at ~= nil and (at == 0 or at > now) then
  return 1
end
return 0
