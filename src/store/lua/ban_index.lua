-- weir ban index: adds a ban in force to the index that lists bans, or removes one.
--
-- The index is apart from the clients' own keys (which spread over every cluster slot), so
-- weir updates it with this second script after a ban starts or is lifted.
--
-- KEYS[1]  sorted set: client -> end of its ban (microseconds, server time)
-- KEYS[2]  hash: client -> "length bans" (length in microseconds)
-- ARGV     client, microseconds left of its ban (0: remove the client), length, bans
-- Returns  1

local function int(x)
  return string.format('%d', x)
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

-- Ended bans leave, a bounded batch per call; the listing skips any still left.
local ended = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now), 'LIMIT', 0, 1000)
if #ended > 0 then
  redis.call('ZREM', KEYS[1], unpack(ended))
  redis.call('HDEL', KEYS[2], unpack(ended))
end

local remaining = tonumber(ARGV[2])
if remaining > 0 then
  redis.call('ZADD', KEYS[1], int(now + remaining), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. ' ' .. ARGV[4])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end

-- Both keys go once the last ban in them has ended.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] ~= nil then
  local ttl = int(math.floor((tonumber(last[2]) - now) / 1000) + 1)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
