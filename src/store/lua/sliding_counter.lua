-- weir sliding counter: the previous fixed window's count, weighted by its overlap with the
-- sliding window, plus the current window's count. Windows are aligned at multiples of W on
-- the Unix timeline.
--
-- KEYS[1]  hash: i = window index, c = current count, p = previous count, t = latest time seen,
--          l = the limit the state was counted under
-- ARGV     N, W (microseconds), burst (unused), optional explicit time (microseconds)
-- Returns  {allowed (0|1), remaining, reset (us), retry_after (us)}
--
-- The arithmetic is the embedded store's, operation for operation, in doubles, so both round
-- alike and decide alike.

local n = tonumber(ARGV[1])
local w = tonumber(ARGV[2])

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
local state = redis.call('HMGET', KEYS[1], 'i', 'c', 'p', 't', 'l')
if state[5] and state[5] ~= limit then
  state = {false, false, false, false}
end
local latest = tonumber(state[4])
if latest ~= nil and latest > now then
  now = latest
end

-- floor(at / w) in integers: the division is correctly rounded, the checks make it exact.
local function window_of(at)
  local i = math.floor(at / w)
  if i * w > at then
    i = i - 1
  elseif (i + 1) * w <= at then
    i = i + 1
  end
  return i
end

local index = window_of(now)

local stored = tonumber(state[1])
local cur = tonumber(state[2]) or 0
local prev = tonumber(state[3]) or 0
if stored == nil or index > stored + 1 then
  cur, prev = 0, 0
elseif index == stored + 1 then
  prev, cur = cur, 0
end

local elapsed = now - index * w
local weight = (w - elapsed) / w
local estimate = prev * weight + cur

local allowed, remaining, retry_after = 0, 0, 0
if estimate + 1 <= n then
  cur = cur + 1
  allowed = 1
  remaining = math.max(0, math.floor(n - (prev * weight + cur)))
else
  -- Whether a request at `at` (not before now) would be admitted, nothing else arriving.
  local function admits(at)
    local i = window_of(at)
    local p, c = prev, cur
    if i == index + 1 then
      p, c = cur, 0
    elseif i > index + 1 then
      p, c = 0, 0
    end
    return p * ((w - (at - i * w)) / w) + c + 1 <= n
  end

  -- The first time the estimate falls to n - 1: within this window while the previous one's
  -- share decays, else in the next window while this one's does. The closed forms round, so
  -- settle on the exact first admitting microsecond.
  local target
  if cur + 1 <= n then
    target = index * w + math.ceil(w - (n - 1 - cur) * w / prev)
  else
    target = (index + 1) * w + math.ceil(w - (n - 1) * w / cur)
  end
  target = math.max(target, now + 1)
  while not admits(target) do
    target = target + 1
  end
  while target - 1 > now and admits(target - 1) do
    target = target - 1
  end
  retry_after = target - now
end

local reset = 0
if cur > 0 then
  reset = (index + 2) * w - now
elseif prev > 0 then
  reset = (index + 1) * w - now
end

if reset > 0 then
  redis.call('HSET', KEYS[1], 'i', int(index), 'c', int(cur), 'p', int(prev), 't', int(now),
             'l', limit)
  if not explicit then
    redis.call('PEXPIRE', KEYS[1], int(math.floor(reset / 1000) + 1))
  end
else
  redis.call('DEL', KEYS[1])
end

return {allowed, remaining, reset, retry_after}
