-- weir ban check: whether a client is banned now, and for how long still.
--
-- KEYS[1]  hash: the client's ban state (see ban_record.lua)
-- Returns  the microseconds left of the ban, 0 when the client is not banned

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local ends = tonumber(redis.call('HGET', KEYS[1], 'u'))
if ends ~= nil and ends > now then
  return ends - now
end
return 0
