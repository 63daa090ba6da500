-- Single scans for wrk: every request is a real, legal transition of a distinct device.
--
--   wrk -t2 -c8 -d10s --latency -s benchmarks/scans.lua http://127.0.0.1:8000 \
--       -- TAGS_FILE BODIES_FILE TOKEN RUN_ID THREADS
--
-- TAGS_FILE: one asset tag per line (a multiple of THREADS devices, all "registered").
-- BODIES_FILE: one JSON template per line, one per lifecycle round ({TAG}, {EID}).
-- Request p goes to device p % n in round p // n: device d is always scanned by
-- thread d % THREADS, and again only after n / THREADS other requests of its thread,
-- so each scan finds the device in the state its round expects. Event ids are
-- RUN_ID-0000-4000-8000-<p>: unique within a run and across runs.

local tid_next, threads = 0, {}

function setup(thread)
  thread:set("tid", tid_next)
  tid_next = tid_next + 1
  threads[#threads + 1] = thread
end

function init(args)
  tags, bodies = {}, {}
  for line in io.lines(args[1]) do tags[#tags + 1] = line end
  for line in io.lines(args[2]) do bodies[#bodies + 1] = line end
  run, nthreads, i = args[4], tonumber(args[5]), 0
  bad, first_bad = 0, ""
  -- wrk calls request() once on thread 0 before the run to check the script
  -- (script_verify_request in wrk.c) and never sends that request: answer it with
  -- a throwaway, so that request p = 0 is really sent.
  verifying = tid == 0
  wrk.method = "POST"
  wrk.path = "/api/v1/scans"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[3]
end

function request()
  if verifying then
    verifying = false
    return wrk.format(nil, nil, nil, "{}")
  end
  local p = i * nthreads + tid
  i = i + 1
  local n = #tags
  local round = math.min(math.floor(p / n) + 1, #bodies)
  local eid = string.format("%s-0000-4000-8000-%012x", run, p)
  local body = bodies[round]:gsub("{TAG}", tags[(p % n) + 1]):gsub("{EID}", eid)
  return wrk.format(nil, nil, nil, body)
end

-- Non-2xx answers: counted, and the first one kept (status and body) for the report.
function response(status, headers, body)
  if status >= 300 then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. body:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local first = ""
  for _, t in ipairs(threads) do
    if first == "" then first = t:get("first_bad") or "" end
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n' ..
    'WRK_FIRST_BAD %s\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, first:gsub("\n", " ")))
end
