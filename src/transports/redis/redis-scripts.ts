// Lua scripts of the Redis transport. Each runs atomically in Redis, so presence is never updated
// by read-then-write from Node. Times come from Redis's own clock (TIME), one clock for the whole
// cluster (on a Redis Cluster: the clocks of its masters, kept in step as any servers are). A
// connection id is `<nodeId>.<n>`; scripts find the node as the part before the last dot. On a
// Redis Cluster a script touches the keys of one slot only: the `_SHARDED` variants.

/** Current Redis time in milliseconds, and the node of a connection id. */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function nodeOf(member)
  return string.match(member, '^(.*)%.')
end
`;

/** `isAlive(node)` from the nodes zset, KEYS[NODES] (standalone Redis: any key is at hand). */
const aliveFromKey = (nodes: number): string => `${CLOCK}
local alive = {}
local function isAlive(node)
  if alive[node] == nil then
    local expires = redis.call('ZSCORE', KEYS[${nodes}], node)
    alive[node] = expires ~= false and expires ~= nil and tonumber(expires) > now
  end
  return alive[node]
end
`;

/**
 * `isAlive(node)` from the caller's copy of the nodes zset, pairs of node id and liveness expiry
 * in ARGV from index FIRST. On a Redis Cluster the nodes zset is in another slot than a user's
 * keys, so a user's script cannot read it. A node the copy does not know is taken as alive (it
 * may have started since the copy was made); the caller checks those against the zset itself.
 */
const aliveFromArgs = (first: number): string => `${CLOCK}
local expiry = {}
for i = ${first}, #ARGV, 2 do expiry[ARGV[i]] = tonumber(ARGV[i + 1]) end
local function isAlive(node)
  local expires = expiry[node]
  return expires == nil or expires > now
end
`;

/**
 * Drops the user's entries on dead nodes, adds the connection, then removes the oldest entries
 * beyond the limit. KEYS[1]: user zset. ARGV: connection id, user, limit, since ('' for a fresh
 * join). Returns { since, evicted ids }.
 */
const JOIN_BODY = `
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not isAlive(nodeOf(member)) then redis.call('ZREM', KEYS[1], member) end
end
local since = tonumber(ARGV[4]) or now
redis.call('ZADD', KEYS[1], since, ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
local evicted = {}
if excess > 0 then
  evicted = redis.call('ZRANGE', KEYS[1], 0, excess - 1)
  redis.call('ZREM', KEYS[1], unpack(evicted))
end
`;

/**
 * A join on standalone Redis, in one atomic step with the bookkeeping in other keys. KEYS: user
 * zset, nodes zset, this node's hash. ARGV as {@link JOIN_BODY}, then the key prefix and the
 * eviction list lifetime in ms. Also files the connection in this node's hash, and each evicted
 * entry in its node's eviction list (read at that node's next refresh, in case the faster pub/sub
 * notice is lost).
 */
export const JOIN = `${aliveFromKey(2)}${JOIN_BODY}
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
for _, member in ipairs(evicted) do
  local list = ARGV[5] .. '{n:' .. nodeOf(member) .. '}:ev'
  redis.call('RPUSH', list, member)
  redis.call('PEXPIRE', list, ARGV[6])
end
return { string.format('%.3f', since), evicted }
`;

/**
 * A join on a Redis Cluster: only the user's zset, the one slot the script may touch. ARGV as
 * {@link JOIN_BODY}, then the nodes' liveness pairs. The caller files the rest itself.
 */
export const JOIN_SHARDED = `${aliveFromArgs(5)}${JOIN_BODY}
return { string.format('%.3f', since), evicted }
`;

/** Per user zset in KEYS from index FIRST: the node of each live entry. */
const locateBody = (first: number): string => `
local result = {}
for i = ${first}, #KEYS do
  local nodes = {}
  for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    local node = nodeOf(member)
    if isAlive(node) then nodes[#nodes + 1] = node end
  end
  result[#result + 1] = nodes
end
return result
`;

/** KEYS: nodes zset, then one user zset per user. Returns, per user, the node of each live entry. */
export const LOCATE = `${aliveFromKey(1)}${locateBody(2)}`;

/**
 * KEYS: user zsets of one slot. ARGV: the nodes' liveness pairs. Returns, per user, the node of
 * each entry not known to be dead.
 */
export const LOCATE_SHARDED = `${aliveFromArgs(1)}${locateBody(1)}`;

/**
 * KEYS: nodes zset. ARGV: node id, time-to-live in ms. Extends this node's liveness and returns
 * { 1 if the node was missing (its presence was lost), ids of nodes whose liveness has passed,
 * every node with its liveness expiry (flat pairs) }.
 */
export const REFRESH_NODE = `${CLOCK}
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return {
  added,
  redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now),
  redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'),
}
`;

/** KEYS: nodes zset. Returns the ids of the live nodes. */
export const LIVE_NODES = `${CLOCK}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
`;

/**
 * The streams' scripts share this: the Redis time in milliseconds, and `open(pos, log)`, which
 * reads a stream's position from its hash (`e`: epoch, `o`: last offset) and refreshes its
 * lifetime. The pushes are in a list, oldest first, each as `<offset>:<stored at>:<data>`. A
 * stream without a position is started with the epoch the caller proposes, and any list left
 * from an earlier epoch is dropped.
 * ARGV[1]: proposed epoch, ARGV[2]: size, ARGV[3]: ttl ms, ARGV[4]: position lifetime ms.
 */
const STREAM_PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local size = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local lifetime = math.max(ttl, tonumber(ARGV[4]))
local function open(pos, log, proposed)
  local kept = redis.call('HMGET', pos, 'e', 'o')
  local epoch, head = kept[1], tonumber(kept[2] or '0')
  if not epoch then
    epoch = proposed
    head = 0
    redis.call('HSET', pos, 'e', epoch, 'o', 0)
    redis.call('DEL', log)
  end
  redis.call('PEXPIRE', pos, lifetime)
  return epoch, head
end
local function storedAt(entry)
  return tonumber(string.match(entry, '^%d+:(%d+):'))
end
local function expireOld(log)
  while true do
    local oldest = redis.call('LINDEX', log, 0)
    if not oldest or storedAt(oldest) > now - ttl then return end
    redis.call('LPOP', log)
  end
end
`;

/**
 * Appends pushes to several streams, each stream once with all of its pushes of the batch in
 * order: a burst to one user costs one position read, one increment, one push, one trim and one
 * expiry, not those per push. Pushes past their ttl are dropped by the next read, not here: the
 * list is bounded by its size and expires with the stream's last push anyway.
 * KEYS: position hash and push list of each stream. ARGV[5…]: the number of pushes of each
 * stream, then the data of all of them, stream by stream; a new stream's epoch is ARGV[1] and its
 * index. Returns { epoch, first offset } of each stream, flat.
 */
export const STREAM_APPEND = `${STREAM_PRELUDE}
local streams = #KEYS / 2
local result = {}
local data = 4 + streams
for i = 1, streams do
  local pos, log = KEYS[2 * i - 1], KEYS[2 * i]
  local count = tonumber(ARGV[4 + i])
  local epoch = open(pos, log, ARGV[1] .. '-' .. i)
  local first = redis.call('HINCRBY', pos, 'o', count) - count + 1
  local entries = {}
  for j = 1, count do
    entries[j] = (first + j - 1) .. ':' .. now .. ':' .. ARGV[data + j]
  end
  data = data + count
  redis.call('RPUSH', log, unpack(entries))
  redis.call('LTRIM', log, -size, -1)
  redis.call('PEXPIRE', log, ttl)
  result[2 * i - 1] = epoch
  result[2 * i] = first
end
return result
`;

/** KEYS: position hash, push list. Returns { epoch, offset } of the stream. */
export const STREAM_POSITION = `${STREAM_PRELUDE}
return { open(KEYS[1], KEYS[2], ARGV[1]) }
`;

/**
 * KEYS: position hash, push list. ARGV[5]: epoch, ARGV[6]: offset of the reader. Returns
 * { 1, epoch, head, pushes after the offset… } when the stream still holds everything after it,
 * else { 0, epoch, head }.
 */
export const STREAM_READ = `${STREAM_PRELUDE}
local epoch, head = open(KEYS[1], KEYS[2], ARGV[1])
local since = tonumber(ARGV[6])
if epoch ~= ARGV[5] or since > head then return { 0, epoch, head } end
if since == head then return { 1, epoch, head } end
expireOld(KEYS[2])
local kept = redis.call('LLEN', KEYS[2])
local first = head - kept + 1
if kept == 0 or since + 1 < first then return { 0, epoch, head } end
local result = redis.call('LRANGE', KEYS[2], since + 1 - first, -1)
table.insert(result, 1, head)
table.insert(result, 1, epoch)
table.insert(result, 1, 1)
return result
`;

/**
 * KEYS: the request's key. ARGV: ttl ms. Claims the request when nobody has (the value is `?`
 * while it runs, `=<answer>` once done), else refreshes its expiry. Returns { 1 if claimed now,
 * the answer if there is one }.
 */
export const REQUEST_CLAIM = `
if redis.call('SET', KEYS[1], '?', 'NX', 'PX', ARGV[1]) then return { 1, false } end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 1) == '=' then return { 0, string.sub(value, 2) } end
return { 0, false }
`;
