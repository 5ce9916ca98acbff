-- python -m perf.bench's wrk script. In wrk's thread: every answer's status is checked and a
-- sample of bodies kept (answers 1, 2, 4, 8, ... and the first ones longer than "[]"). At the
-- end: one machine-readable line, then the sampled bodies, hex-encoded, one per line.
-- https://github.com/wg/wrk/blob/master/SCRIPTING
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Globals of each thread's own Lua state; done() reads them with thread:get().
responses, non_200, statuses, samples, rows = 0, 0, {}, {}, {}
local next_sample, MAX_SAMPLES, MAX_ROWS = 1, 32, 8

local function content_type(headers)
  for name, value in pairs(headers) do
    if string.lower(name) == "content-type" then return value end
  end
  return ""
end

function response(status, headers, body)
  responses = responses + 1
  local sampled = responses == next_sample
  if sampled then next_sample = next_sample * 2 end
  if status ~= 200 then
    non_200 = non_200 + 1
    statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
    return
  end
  if sampled then
    if #samples < MAX_SAMPLES then samples[#samples + 1] = content_type(headers) .. "\n" .. body end
  elseif #body > 2 and #rows < MAX_ROWS then
    rows[#rows + 1] = content_type(headers) .. "\n" .. body
  end
end

local function hex(text)
  return (text:gsub(".", function(c) return string.format("%02x", string.byte(c)) end))
end

function done(summary, latency, requests)
  -- Percentiles over every answer: wrk's histogram leaves out those after the timeout, so the
  -- p-th percentile of all answers is the histogram's (p * all / in time)-th; -1 when that is
  -- past the histogram's end (more than (100 - p)% of answers came after the timeout).
  local answered = summary.requests - summary.errors.timeout
  local function percentile(p)
    if answered <= 0 then return -1 end
    local q = p * summary.requests / answered
    if q > 100 then return -1 end
    return latency:percentile(q)
  end
  local checked, bad, by_status, kept = 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    checked = checked + thread:get("responses")
    bad = bad + thread:get("non_200")
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
    for _, name in ipairs({"samples", "rows"}) do
      for _, sample in ipairs(thread:get(name)) do kept[#kept + 1] = sample end
    end
  end
  local parts = {}
  for status, count in pairs(by_status) do
    parts[#parts + 1] = string.format('"%s":%d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'PERF_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"checked":%d,"non_200":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    percentile(50), percentile(90), percentile(99), latency.max,
    checked, bad, table.concat(parts, ",")))
  for _, sample in ipairs(kept) do
    io.write("PERF_BODY ", hex(sample), "\n")
  end
end
