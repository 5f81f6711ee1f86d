-- wrk script: POSTs a rotating set of pre-built request bodies and prints a JSON summary.
--
-- Environment (set by bench/run.mjs):
--   WRK_BODIES        file of bodies, each written as "<byte length>\n<body>"
--   WRK_PATH          request path with query, e.g. /v1/batch or /v1/e?key=...
--   WRK_CONTENT_TYPE  Content-Type header (default application/json)
--   WRK_AUTH          Authorization header value (optional)
--
-- Every request is formatted once in init(); request() only hands out the next string,
-- so the load generator spends almost no CPU per request.

local bodies_file = os.getenv("WRK_BODIES")
local path = os.getenv("WRK_PATH") or "/"
local content_type = os.getenv("WRK_CONTENT_TYPE") or "application/json"
local auth = os.getenv("WRK_AUTH")

local requests = {}
local count = 0
local index = 0

function init(args)
  local f = assert(io.open(bodies_file, "rb"))
  local data = f:read("*a")
  f:close()
  local headers = { ["Content-Type"] = content_type }
  if auth ~= nil and auth ~= "" then
    headers["Authorization"] = auth
  end
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    if nl == nil then break end
    local len = tonumber(data:sub(pos, nl - 1))
    local body = data:sub(nl + 1, nl + len)
    pos = nl + len + 1
    count = count + 1
    requests[count] = wrk.format("POST", path, headers, body)
  end
  assert(count > 0, "no bodies in " .. tostring(bodies_file))
  -- Threads start at different bodies.
  index = math.random(count) - 1
end

function request()
  index = index % count + 1
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us":%d,"requests":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"latency_mean_us":%.1f,' ..
    '"latency_p50_us":%d,"latency_p90_us":%d,"latency_p99_us":%d,"latency_max_us":%d}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
