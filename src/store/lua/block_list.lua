-- weir block list: the networks blocked now; drops the expired ones.
--
-- KEYS[1]  hash: network (CIDR text) -> expiry (see block_put.lua)
-- Returns  {network, microseconds until it expires (-1: until removed), network, ...}

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local at = tonumber(all[i + 1])
  if at == nil or (at ~= 0 and at <= now) then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out + 1] = all[i]
    out[#out + 1] = at == 0 and -1 or at - now
  end
end
return out
