// Lua scripts of the Redis transport. Each runs atomically in Redis, so presence is never updated
// by read-then-write from Node. Times come from Redis's own clock (TIME), one clock for the whole
// cluster. A connection id is `<nodeId>.<n>`; scripts find the node as the part before the last dot.

/** Current Redis time in milliseconds, and a helper telling whether a node's liveness is current. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local alive = {}
local function isAlive(nodesKey, node)
  if alive[node] == nil then
    local expires = redis.call('ZSCORE', nodesKey, node)
    alive[node] = expires ~= false and expires ~= nil and tonumber(expires) > now
  end
  return alive[node]
end
local function nodeOf(member)
  return string.match(member, '^(.*)%.')
end
`;

/**
 * KEYS: user zset, nodes zset, this node's hash. ARGV: connection id, user, limit, since ('' for a
 * fresh join), key prefix, eviction list lifetime in ms. Drops the user's entries on dead nodes,
 * adds the connection, then removes the oldest entries beyond the limit and files each in its
 * node's eviction list (read at the node's next refresh, in case the faster pub/sub notice is
 * lost). Returns { since, evicted ids }.
 */
export const JOIN = `${PRELUDE}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not isAlive(KEYS[2], nodeOf(member)) then redis.call('ZREM', KEYS[1], member) end
end
local since = tonumber(ARGV[4]) or now
redis.call('ZADD', KEYS[1], since, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
local evicted = {}
if excess > 0 then
  evicted = redis.call('ZRANGE', KEYS[1], 0, excess - 1)
  redis.call('ZREM', KEYS[1], unpack(evicted))
  for _, member in ipairs(evicted) do
    local list = ARGV[5] .. 'ev:' .. nodeOf(member)
    redis.call('RPUSH', list, member)
    redis.call('PEXPIRE', list, ARGV[6])
  end
end
return { string.format('%.3f', since), evicted }
`;

/** KEYS: nodes zset, then one user zset per user. Returns, per user, the node of each live entry. */
export const LOCATE = `${PRELUDE}
local result = {}
for i = 2, #KEYS do
  local nodes = {}
  for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    local node = nodeOf(member)
    if isAlive(KEYS[1], node) then nodes[#nodes + 1] = node end
  end
  result[#result + 1] = nodes
end
return result
`;

/**
 * KEYS: nodes zset, this node's eviction list. ARGV: node id, time-to-live in ms. Extends this
 * node's liveness and returns { 1 if the node was missing (its presence was lost), ids of nodes
 * whose liveness has passed, connections of this node evicted since the last refresh }.
 */
export const REFRESH_NODE = `${PRELUDE}
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local evicted = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return { added, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now), evicted }
`;

/** KEYS: nodes zset. Returns the ids of the live nodes. */
export const LIVE_NODES = `${PRELUDE}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
`;
