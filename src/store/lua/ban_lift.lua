-- weir ban lift: ends a client's ban and forgets its strikes and past bans.
--
-- KEYS[1]  hash: the client's ban state (see ban_record.lua)
-- Returns  1 when a ban was in force, else 0

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local ends = tonumber(redis.call('HGET', KEYS[1], 'u'))
redis.call('DEL', KEYS[1])
if ends ~= nil and ends > now then
  return 1
end
return 0
