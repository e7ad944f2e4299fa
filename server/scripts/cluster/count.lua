-- wrk script: a mix of routes, answers counted by status class across threads, and a timeline of
-- the failed answers (5xx) in 100 ms buckets of wall-clock time, for telling failures during an
-- outage from failures after it.
--
-- usage: wrk ... -s count.lua http://HOST:PORT -- PATH [PATH ...]
-- prints: RESULT sent=N ok=N s2=N s3=N s4=N s5=N connect=N read=N write=N timeout=N
--         FAIL5XX <epoch ms of the bucket> <count>      (one line per bucket with 5xx answers)

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } cluster_timeval;
  int gettimeofday(cluster_timeval *tv, void *tz);
]]
local tv = ffi.new("cluster_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + math.floor(tonumber(tv.tv_usec) / 1000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for _, p in ipairs(args) do table.insert(paths, p) end
  if #paths == 0 then paths = { "/" } end
  n = 0
  s2, s3, s4, s5, other = 0, 0, 0, 0, 0
  fail5xx = {}
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function response(status, headers, body)
  if status >= 500 then
    s5 = s5 + 1
    local b = math.floor(now_ms() / 100) * 100
    fail5xx[b] = (fail5xx[b] or 0) + 1
  elseif status >= 400 then
    s4 = s4 + 1
  elseif status >= 300 then
    s3 = s3 + 1
  elseif status >= 200 then
    s2 = s2 + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t2, t3, t4, t5, t0 = 0, 0, 0, 0, 0
  local buckets = {}
  for _, t in ipairs(threads) do
    t2 = t2 + t:get("s2")
    t3 = t3 + t:get("s3")
    t4 = t4 + t:get("s4")
    t5 = t5 + t:get("s5")
    t0 = t0 + t:get("other")
    for b, c in pairs(t:get("fail5xx")) do buckets[b] = (buckets[b] or 0) + c end
  end
  local e = summary.errors
  local sent = summary.requests + e.connect + e.read + e.write
  io.write(string.format(
    "RESULT sent=%d ok=%d s2=%d s3=%d s4=%d s5=%d connect=%d read=%d write=%d timeout=%d p99ms=%.1f\n",
    sent, t2 + t3, t2, t3, t4, t5 + t0, e.connect, e.read, e.write, e.timeout,
    latency:percentile(99) / 1000))
  local keys = {}
  for b in pairs(buckets) do table.insert(keys, b) end
  table.sort(keys)
  for _, b in ipairs(keys) do io.write(string.format("FAIL5XX %d %d\n", b, buckets[b])) end
end
