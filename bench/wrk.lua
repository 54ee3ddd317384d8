-- wrk script for bench/serving.py: GET one path as many users, count answers by class.
--
--   WRK_OUT=out.json wrk -t2 -c64 -d60s -s bench/wrk.lua http://127.0.0.1:8000 -- /api/v1/me/ tokens.txt
--
-- Each request carries the next bearer token of tokens.txt (one per line; none for an
-- anonymous path: pass "-"), so the load spreads over many users as real traffic does.
-- done() writes requests, duration, latency percentiles (and the whole distribution) and status
-- classes as JSON to $WRK_OUT.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  tokens = {}
  if args[2] ~= "-" then
    for line in io.lines(args[2]) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
  counter = id * 7919  -- threads start at different users
  statuses = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0 }
end

function request()
  local headers = { Accept = "application/json" }
  if #tokens > 0 then
    counter = counter + 1
    headers["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  local class = "s" .. math.floor(status / 100) .. "xx"
  statuses[class] = (statuses[class] or 0) + 1
end

function done(summary, latency, requests)
  local totals = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0 }
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for class, n in pairs(counts) do
      totals[class] = (totals[class] or 0) + n
    end
  end
  local errors = summary.errors
  -- The distribution, for the charts: [percentile, latency] at 0, 1, ..., 99, 99.9, 100.
  local points = {}
  for p = 0, 99 do
    points[#points + 1] = string.format("[%d, %d]", p, latency:percentile(math.max(p, 0.001)))
  end
  points[#points + 1] = string.format("[99.9, %d]", latency:percentile(99.9))
  points[#points + 1] = string.format("[100, %d]", latency.max)
  local out = io.open(os.getenv("WRK_OUT"), "w")
  out:write(string.format(
    '{"percentiles_us": [' .. table.concat(points, ", ") .. '], '
      .. '"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
      .. '"status": {"2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d}, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean,
    totals.s2xx, totals.s3xx, totals.s4xx, totals.s5xx,
    errors.connect, errors.read, errors.write, errors.timeout))
  out:close()
end
