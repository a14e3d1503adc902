-- weir sliding log: at most N requests admitted in any interval of W microseconds.
--
-- KEYS[1]  sorted set: one member per admitted request still in the window, scored by its time
-- KEYS[2]  hash: s = sequence that names members uniquely, t = latest time seen (microseconds),
--          l = the limit the state was counted under
-- ARGV     N, W (microseconds), burst (unused), optional explicit time (microseconds)
-- Returns  {allowed (0|1), remaining, reset (us), retry_after (us)}
--
-- Times are integers on the Unix timeline in microseconds, below 2^53, so Lua's doubles hold
-- them exactly. Numbers go to Redis as "%d" strings, never in exponent notation.

local n = tonumber(ARGV[1])
local w = tonumber(ARGV[2])

local function int(x)
  return string.format('%d', x)
end

-- One clock for every weir instance: the server's, unless the caller names the time.
--
-- An explicit time (tests) is not the server's: keys then get no TTL, as Redis would expire
-- them by its own clock, at the wrong moment.
local explicit = ARGV[4] ~= nil and ARGV[4] ~= ''
local now
if explicit then
  now = tonumber(ARGV[4])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end

-- State counted under another limit (the configuration changed) starts again from empty.
local limit = ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3]
local meta = redis.call('HMGET', KEYS[2], 't', 'l')
local latest = tonumber(meta[1])
if meta[2] and meta[2] ~= limit then
  redis.call('DEL', KEYS[1])
  latest = nil
end

-- A key's time never runs backwards.
if latest ~= nil and latest > now then
  now = latest
end

-- A request at ts counts while now - ts < w: drop those with ts <= now - w.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - w))
local count = redis.call('ZCARD', KEYS[1])

local allowed, retry_after = 0, 0
if count < n then
  local seq = redis.call('HINCRBY', KEYS[2], 's', 1)
  redis.call('ZADD', KEYS[1], int(now), int(seq))
  count = count + 1
  allowed = 1
else
  -- Rejected requests add nothing; the oldest leaving the window admits the next one.
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  retry_after = tonumber(oldest[2]) + w - now
end

local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local reset = tonumber(newest[2]) + w - now

-- Both keys expire just after the newest member leaves the window.
local ttl = int(math.floor(reset / 1000) + 1)
redis.call('HSET', KEYS[2], 't', int(now), 'l', limit)
if not explicit then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end

return {allowed, n - count, reset, retry_after}
