-- weir block put: blocks a network, or replaces the expiry of one already blocked.
--
-- KEYS[1]  hash: network (CIDR text) -> expiry (microseconds, server time; 0: until removed)
-- ARGV     network, microseconds until it expires ('' : until removed), most networks held
-- Returns  1 once stored, 0 when the hash is full

local function int(x)
  return string.format('%d', x)
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local expires = '0'
if ARGV[2] ~= '' then
  expires = int(math.max(1, now + tonumber(ARGV[2])))
end

-- A new network needs room: expired blocks make way first.
local max = tonumber(ARGV[3])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= max then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local at = tonumber(all[i + 1])
    if at == nil or (at ~= 0 and at <= now) then
      redis.call('HDEL', KEYS[1], all[i])
    end
  end
  if redis.call('HLEN', KEYS[1]) >= max then
    return 0
  end
end

redis.call('HSET', KEYS[1], ARGV[1], expires)
return 1
