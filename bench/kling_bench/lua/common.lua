-- Shared by every workload script. The harness sets BENCH_LUA_DIR so a script can
-- load this file, and parses the one BENCH_RESULT line that done() prints: wrk's
-- own text report rounds latencies and hides the error counts we need.
local common = {}

function common.read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local content = file:read("*a")
  file:close()
  return content
end

function common.done(summary, latency, requests)
  local errors = summary.errors
  local mean = 0
  if summary.requests > 0 then
    mean = latency.mean
  end
  io.write(string.format(
    'BENCH_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    mean, latency.max))
end

return common
