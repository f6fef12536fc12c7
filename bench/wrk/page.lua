-- wrk script for Kairan's web benchmark (GET): one connection per thread (-t N -c N), each
-- logged in as its own person (line N of the sessions file: session id, CSRF secret, reply
-- version). No response() here, so wrk does not hand the bodies to Lua; the benchmark checks
-- each page's status itself before loading it, and wrk counts any status >= 400.
--
--   wrk -t16 -c16 -d6s -s page.lua http://127.0.0.1:PORT -- SESSIONS PATH
--
-- Prints one line "KAIRAN_RESULT {json}" at the end.

local next_slot = 0

function setup(thread)
   next_slot = next_slot + 1
   thread:set("slot", next_slot)
end

function init(args)
   local file = assert(io.open(args[1], "r"))
   local n = 0
   for line in file:lines() do
      n = n + 1
      if n == slot then
         session, csrf = line:match("^(%S+) (%S+) %d+$")
      end
   end
   file:close()
   assert(session, "no session for slot " .. slot)
   path = args[2]
   cookie = "sessionid=" .. session .. "; csrftoken=" .. csrf
end

function request()
   return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'KAIRAN_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "mean_us": %.1f, "max_us": %d, "unexpected_status": %d, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.mean, latency.max, e.status,
      e.connect, e.read, e.write, e.timeout))
end
