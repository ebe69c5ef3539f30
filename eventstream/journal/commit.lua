-- The commit point: a batch of asset events, atomically and idempotently
-- (eventstream/journal/commit.py plans each event; this script applies the plans).
--
-- KEYS: 1 journal stream, 2 asset index, then per event i = 0..N-1:
--       3+2i asset hash, 4+2i dedup marker.
-- ARGV: 1 dedup TTL (s), 2 journal max length (0: none), 3 oldest journal id kept by age
--       ("0": none), 4 N, then per event 8 values and W field/value pairs:
--       expected version, expected last event id (together the compare-and-set token: "0"
--       and "" for a new asset), subject, event id, event JSON ("": not journaled, an
--       inventory sync's seed: no entry, no marker), asset JSON ("": keep the
--       stored one), the version field leaving the kept history ("": none), W; then W pairs
--       `h:<n>`, version entry.
-- Returns a flat array, two values per event: 1 and the journal id when journaled (1 and ""
-- for a seed written without an entry); -1 and the
-- asset's version when its state is not the one the plan was made from (a concurrent
-- committer was first): nothing is written for that event.
-- Duplicates need no check here: the plan was made after reading the markers, and a marker
-- written since then came with a commit for the same asset, which moved its token on, so the
-- plan conflicts and is made again (and then sees the marker).
-- The dedup marker's value is the journal id of the entry, so readers can find an event's
-- entry from its id while the marker lives.

local FIXED = 8

local function commit(asset, marker, a)
  local state = redis.call('HMGET', asset, 'version', 'last')
  local version = state[1] or '0'
  if version ~= ARGV[a] or (state[2] or '') ~= ARGV[a + 1] then
    return -1, version
  end
  local subject, eid = ARGV[a + 2], ARGV[a + 3]
  local id = ''
  if ARGV[a + 4] == '' then
    -- a seed: the inventory only
  elseif ARGV[2] ~= '0' then
    id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
      'event', ARGV[a + 4], 'subject', subject, 'eid', eid)
  else
    id = redis.call('XADD', KEYS[1], '*', 'event', ARGV[a + 4], 'subject', subject, 'eid', eid)
  end
  if id ~= '' then
    redis.call('SET', marker, id, 'EX', ARGV[1])
  end
  local fields = {'version', tostring(tonumber(version) + 1), 'last', eid}
  if ARGV[a + 5] ~= '' then
    fields[#fields + 1] = 'asset'
    fields[#fields + 1] = ARGV[a + 5]
  end
  for i = a + FIXED, a + FIXED + 2 * tonumber(ARGV[a + 7]) - 1 do
    fields[#fields + 1] = ARGV[i]
  end
  redis.call('HSET', asset, unpack(fields))
  if ARGV[a + 6] ~= '' then
    redis.call('HDEL', asset, ARGV[a + 6])
  end
  if version == '0' then
    redis.call('ZADD', KEYS[2], 0, subject)
  end
  return 1, id
end

local out = {}
local a = 5
for i = 0, tonumber(ARGV[4]) - 1 do
  local code, value = commit(KEYS[3 + 2 * i], KEYS[4 + 2 * i], a)
  out[#out + 1] = code
  out[#out + 1] = value
  a = a + FIXED + 2 * tonumber(ARGV[a + 7])
end
if ARGV[3] ~= '0' then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
end
return out
