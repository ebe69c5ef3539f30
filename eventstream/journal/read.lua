-- What a commit batch needs to plan (eventstream/journal/commit.py), in one round trip.
-- KEYS: ARGV[1] asset hashes, then dedup markers.
-- Returns, per asset hash, {version, last event id, current version entry} (nils when new),
-- then a string of "0"/"1", one character per marker: which markers exist.
local assets = tonumber(ARGV[1])
local out = {}
for i = 1, assets do
  local state = redis.call('HMGET', KEYS[i], 'version', 'last')
  local entry = false
  if state[1] then
    entry = redis.call('HGET', KEYS[i], 'h:' .. state[1])
  end
  out[i] = {state[1], state[2], entry}
end
local markers = {}
for i = assets + 1, #KEYS do
  markers[#markers + 1] = redis.call('EXISTS', KEYS[i])
end
out[assets + 1] = table.concat(markers)
return out
