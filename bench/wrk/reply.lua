-- wrk script for Kairan's web benchmark (the reply POST): one connection per thread
-- (-t N -c N), each logged in as its own member (line N of the sessions file: session id,
-- CSRF secret, version of that member's current reply).
--
--   wrk -t16 -c16 -d6s -s reply.lua http://127.0.0.1:PORT -- SESSIONS PATH
--
-- POSTs the reply form (意見あり) on top of the member's current version, so that every POST
-- is accepted (302, counted as expected); after each one the version goes up by one. A
-- refused POST (any other status) is counted, and the version shown again is followed.
-- Prints one line "KAIRAN_RESULT {json}" at the end.

local threads = {}
local next_slot = 0

function setup(thread)
   next_slot = next_slot + 1
   thread:set("slot", next_slot)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "r"))
   local n = 0
   for line in file:lines() do
      n = n + 1
      if n == slot then
         session, csrf, version = line:match("^(%S+) (%S+) (%d+)$")
      end
   end
   file:close()
   assert(session, "no session for slot " .. slot)
   version = tonumber(version)
   path = args[2]
   unexpected = 0
   cookie = "sessionid=" .. session .. "; csrftoken=" .. csrf
end

function request()
   -- 意見あり: 賛成します / 審議は不要
   local body = "csrfmiddlewaretoken=" .. csrf
      .. "&kind=opinion&opinion=%E8%B3%9B%E6%88%90%E3%81%97%E3%81%BE%E3%81%99"
      .. "&meeting_needed=no&base_version=" .. version
   return wrk.format("POST", path, {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, body)
end

function response(status, headers, body)
   if status == 302 then
      version = version + 1
   else
      unexpected = unexpected + 1
      -- A refused reply shows the form again on top of the stored version: follow it.
      local stored = body and body:match('name="base_version" value="(%d+)"')
      if stored then version = tonumber(stored) end
   end
end

function done(summary, latency, requests)
   local unexpected_total = 0
   for _, thread in ipairs(threads) do
      unexpected_total = unexpected_total + thread:get("unexpected")
   end
   local e = summary.errors
   io.write(string.format(
      'KAIRAN_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "mean_us": %.1f, "max_us": %d, "unexpected_status": %d, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.mean, latency.max, unexpected_total,
      e.connect, e.read, e.write, e.timeout))
end
