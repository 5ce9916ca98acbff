-- perf/run.py's wrk script: one machine-readable line at the end of a run, nothing per request
-- (a script without request()/response() keeps wrk on its fast C path).
-- https://github.com/wg/wrk/blob/master/SCRIPTING
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'PERF_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
