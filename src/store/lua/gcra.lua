-- weir GCRA: one request every T = ceil(W / N) microseconds, running ahead by at most B.
--
-- KEYS[1]  hash: a = theoretical arrival time (TAT), t = latest time seen (microseconds),
--          l = the limit the state was counted under
-- ARGV     N, W (microseconds), burst B (0 means N), optional explicit time (microseconds)
-- Returns  {allowed (0|1), remaining, reset (us), retry_after (us)}

local n = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
if burst == nil or burst == 0 then
  burst = n
end

local function int(x)
  return string.format('%d', x)
end

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
local state = redis.call('HMGET', KEYS[1], 'a', 't', 'l')
if state[3] and state[3] ~= limit then
  state = {false, false}
end
local latest = tonumber(state[2])
if latest ~= nil and latest > now then
  now = latest
end

-- ceil(w / n) in integers.
local period = math.floor(w / n)
if period * n < w then
  period = period + 1
end
local tolerance = burst * period

local stored = tonumber(state[1]) or 0
local tat = math.max(stored, now)
local new_tat = tat + period

local allowed, remaining, reset, retry_after = 0, 0, 0, 0
if new_tat - now <= tolerance then
  stored = new_tat
  allowed = 1
  remaining = math.min(n, math.max(0, math.floor((tolerance - (new_tat - now)) / period)))
  reset = new_tat - now
else
  reset = tat - now
  retry_after = new_tat - now - tolerance
end

-- The state is empty again once the TAT has passed.
if stored > now then
  redis.call('HSET', KEYS[1], 'a', int(stored), 't', int(now), 'l', limit)
  if not explicit then
    redis.call('PEXPIRE', KEYS[1], int(math.floor((stored - now) / 1000) + 1))
  end
else
  redis.call('DEL', KEYS[1])
end

return {allowed, remaining, reset, retry_after}
