-- weir ban strike: counts one rate-limit rejection of a client, and bans it at the threshold.
-- The same rules as weir::BanTracker (src/core/ban_tracker.cpp), on the server's clock.
--
-- KEYS[1]  hash: w = start of the counting window, s = strikes in it, u = end of the latest
--          ban, l = its length, n = bans so far (times in microseconds)
-- ARGV     after (strikes that start a ban), within, duration, max_duration (microseconds)
-- Returns  {started (0|1), microseconds left of the ban (0 when none), its length, bans}

local after = tonumber(ARGV[1])
local within = tonumber(ARGV[2])
local duration = tonumber(ARGV[3])
local max_duration = tonumber(ARGV[4])

local function int(x)
  return string.format('%d', x)
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local state = redis.call('HMGET', KEYS[1], 'w', 's', 'u', 'l', 'n')
local window = tonumber(state[1]) or 0
local strikes = tonumber(state[2]) or 0
local ends = tonumber(state[3]) or 0
local length = tonumber(state[4]) or 0
local bans = tonumber(state[5]) or 0

-- While banned, rejections are not counted (the ban refuses before the limit is asked).
if ends > now then
  return {0, ends - now, length, bans}
end

-- A fixed window opened by the first rejection.
if strikes == 0 or now - window >= within then
  window = now
  strikes = 0
end
strikes = strikes + 1

local started = 0
if strikes >= after then
  strikes = 0
  -- duration doubled once per earlier ban, at most max_duration
  length = duration
  local i = 0
  while i < bans and length < max_duration do
    length = length * 2
    i = i + 1
  end
  if length > max_duration then
    length = max_duration
  end
  ends = now + length
  bans = bans + 1
  started = 1
end

redis.call('HSET', KEYS[1], 'w', int(window), 's', int(strikes), 'u', int(ends), 'l',
  int(length), 'n', int(bans))

-- Forgotten when the embedded store would forget it: once no window is counting and, after a
-- ban, max_duration has passed since it ended.
local forget = 0
if strikes > 0 then
  forget = window + within
end
if bans > 0 and ends + max_duration > forget then
  forget = ends + max_duration
end
redis.call('PEXPIRE', KEYS[1], int(math.floor((forget - now) / 1000) + 1))

if started == 1 then
  return {1, length, length, bans}
end
return {0, 0, length, bans}
