-- wrk script: an open-loop schedule at a fixed rate for a window, and every answer's latency.
--   wrk -t1 -cN -dS -s paced.lua URL -- RATE WINDOW_MS LATE_MS [PATHS_FILE]
-- Each send takes the next slot of one schedule (a slot every 1/RATE s from a random phase), so
-- the arrivals are spread whatever the number of connections: a connection free before its
-- slot waits for it (wrk's delay(), whole milliseconds). A request written more than LATE_MS
-- after its slot is counted late (every connection was busy, or wrk itself was held up): wrk
-- measures latency from the write, so a late request's latency misses that wait. Slots are taken in time order and their timers fire in that order, so the oldest slot
-- handed out is the one being written. Sends end after WINDOW_MS; connections
-- then idle until the caller stops wrk (SIGINT) once the last answers are in. With
-- PATHS_FILE, the requests cycle through its paths (one per line).
-- done() prints one line: the counts, wrk's own CPU time, then the histogram as
-- "microseconds:count" pairs.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } paced_timespec;
int clock_gettime(int clk_id, paced_timespec *tp);
typedef struct { uint64_t count, limit, min, max; uint64_t data[?]; } paced_stats;
typedef struct { long tv_sec; long tv_usec; } paced_timeval;
typedef struct { paced_timeval utime; paced_timeval stime; long rest[14]; } paced_rusage;
int getrusage(int who, paced_rusage *usage);
]]
local now_ts = ffi.new("paced_timespec")
local CLOCK_MONOTONIC = 1
local PARKED_MS = 3600 * 1000 -- longer than any run: the caller stops wrk first

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local threads = {}
-- Globals, so that done() can read each thread's with thread:get().
sent, late, worst_late = 0, 0, 0
local period, window_ms, late_ms, first, slot
local pending, oldest, newest = {}, 1, 0 -- slots handed out, not yet written
local paths, next_path = nil, 1
local static

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  period = 1000 / tonumber(args[1])
  window_ms = tonumber(args[2])
  late_ms = tonumber(args[3])
  static = wrk.format(nil, nil)
  if args[4] then
    paths = {}
    for line in io.lines(args[4]) do
      paths[#paths + 1] = wrk.format(nil, line)
    end
  end
end

function request()
  if oldest <= newest then
    local wait = pending[oldest] - now_ms()
    pending[oldest] = nil
    oldest = oldest + 1
    if wait < -late_ms then
      late = late + 1
      worst_late = math.max(worst_late, -wait)
    end
  end
  if not paths then return static end
  local built = paths[next_path]
  next_path = next_path % #paths + 1
  return built
end

function delay()
  local now = now_ms()
  if slot == nil then
    first = now + math.random() * period
    slot = first - period
  end
  -- Nothing is sent after the window: a schedule that lags (or the probe's, which always
  -- does) leaves its remaining slots unsent, missing from the achieved rate.
  if slot + period >= first + window_ms or now >= first + window_ms then return PARKED_MS end
  slot = slot + period
  sent = sent + 1
  newest = newest + 1
  pending[newest] = slot
  local wait = slot - now
  if wait <= 0 then return 0 end
  return math.floor(wait + 0.5)
end

-- wrk's API returns the n-th distinct value by scanning from the smallest: quadratic, seconds
-- with a long tail. Its histogram is an array of counts per microsecond (stats.h); read it in
-- one pass, and use the API only if what is read disagrees with it.
local function histogram_of(latency)
  local pairs_, total = {}, 0
  local stats = ffi.cast("paced_stats **", latency)[0]
  local low, high = tonumber(stats.min), tonumber(stats.max)
  if low == latency.min and high == latency.max and high < tonumber(stats.limit) then
    for value = low, high do
      local count = tonumber(stats.data[value])
      if count > 0 then
        pairs_[#pairs_ + 1] = value .. ":" .. count
        total = total + count
      end
    end
    if total == tonumber(stats.count) then return pairs_ end
  end
  pairs_ = {}
  for i = 1, #latency do
    local value, count = latency(i)
    pairs_[i] = value .. ":" .. count
  end
  return pairs_
end

function done(summary, latency, requests)
  local sent_sum, late_sum, worst = 0, 0, 0
  for _, thread in ipairs(threads) do
    sent_sum = sent_sum + thread:get("sent")
    late_sum = late_sum + thread:get("late")
    worst = math.max(worst, thread:get("worst_late"))
  end
  local e = summary.errors
  local histogram = histogram_of(latency)
  local usage = ffi.new("paced_rusage")
  ffi.C.getrusage(0, usage) -- RUSAGE_SELF: every thread of wrk, joined by now
  local cpu_us = (tonumber(usage.utime.tv_sec) + tonumber(usage.stime.tv_sec)) * 1e6
      + tonumber(usage.utime.tv_usec) + tonumber(usage.stime.tv_usec)
  io.write(string.format(
    "paced sent=%d answered=%d connect=%d read=%d write=%d status=%d timeout=%d late=%d " ..
    "worst_late_ms=%.3f cpu_us=%d histogram=%s\n",
    sent_sum, summary.requests, e.connect, e.read, e.write, e.status, e.timeout, late_sum, worst,
    cpu_us, table.concat(histogram, ",")))
end
