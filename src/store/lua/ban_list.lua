-- weir ban list: the bans in force, from the index ban_index.lua keeps.
--
-- KEYS[1]  sorted set: client -> end of its ban (microseconds, server time)
-- KEYS[2]  hash: client -> "length bans"
-- ARGV     most bans to list (0: only count them)
-- Returns  {total, client, microseconds left, length, bans, client, ...}, the bans ending
--          last first

local function int(x)
  return string.format('%d', x)
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local ended = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now), 'LIMIT', 0, 1000)
if #ended > 0 then
  redis.call('ZREM', KEYS[1], unpack(ended))
  redis.call('HDEL', KEYS[2], unpack(ended))
end

local out = {redis.call('ZCOUNT', KEYS[1], '(' .. int(now), '+inf')}
local max = tonumber(ARGV[1])
if max > 0 then
  local bans = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. int(now), 'WITHSCORES',
    'LIMIT', 0, max)
  for i = 1, #bans, 2 do
    local detail = redis.call('HGET', KEYS[2], bans[i]) or ''
    local length, count = string.match(detail, '^(%d+) (%d+)$')
    out[#out + 1] = bans[i]
    out[#out + 1] = tonumber(bans[i + 1]) - now
    out[#out + 1] = tonumber(length) or 0
    out[#out + 1] = tonumber(count) or 0
  end
end
return out
