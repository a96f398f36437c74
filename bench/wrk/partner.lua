-- wrk script of bench/feed_bench.sh: partner reads with a rotating bearer token.
--
--   FWB_DIR=<seed dir> FWB_ENDPOINT=feed|artifact wrk -s bench/wrk/partner.lua URL
--
-- feed:     GET /api/v1/feed?limit=$FWB_LIMIT&cursor=<FWB_DIR/feed_cursor>, token i of
--           FWB_DIR/tokens for request i (all partners of both tiers in turn).
-- artifact: GET /api/v1/advisories/{id}/artifacts/{artifact}/content, cycling through every
--           (partner, artifact) pair of FWB_DIR/tokens x FWB_DIR/artifacts.
-- /path:    GET /path with the rotating token (the cost ladder of FWB_LADDER=1).
-- nginx is driven by the same script (it ignores the Authorization header and the query) and
-- serves the same bytes as static files at the same paths. Requests are formatted once in
-- init(), so the load generator does the same work for both servers.
-- done() prints one "RESULT key=value ..." line that feed_bench.sh parses.

local dir = os.getenv("FWB_DIR") or error("FWB_DIR is not set")
local endpoint = os.getenv("FWB_ENDPOINT") or "feed"
local limit = os.getenv("FWB_LIMIT") or "50"

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

local thread_count = 0
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local next_request = 0

function init(args)
  local tokens = lines(dir .. "/tokens")
  local paths = {}
  if endpoint == "feed" then
    local cursor = lines(dir .. "/feed_cursor")[1] or ""
    paths[1] = "/api/v1/feed?limit=" .. limit .. "&cursor=" .. cursor
  elseif endpoint == "artifact" then
    for _, line in ipairs(lines(dir .. "/artifacts")) do
      local advisory, artifact = line:match("^(%S+)%s+(%S+)$")
      paths[#paths + 1] = "/api/v1/advisories/" .. advisory .. "/artifacts/" .. artifact ..
                              "/content"
    end
  elseif endpoint:sub(1, 1) == "/" then
    paths[1] = endpoint  -- any other path, e.g. /healthz or /api/v1/whoami (FWB_LADDER)
  else
    error("FWB_ENDPOINT must be feed, artifact or a path")
  end
  -- Every (token, path) pair once: token k % T with path (k + floor(k / T)) % P.
  local t, p = #tokens, #paths
  for k = 0, t * p - 1 do
    local token = tokens[k % t + 1]
    local path = paths[(k + math.floor(k / t)) % p + 1]
    requests[k + 1] = wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
  end
  -- Threads start at different points of the rotation.
  next_request = math.floor((thread_index or 0) * #requests / 7)
end

function request()
  next_request = next_request + 1
  if next_request > #requests then next_request = 1 end
  return requests[next_request]
end

function done(summary, latency, _)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.1f bytes=%d mean_us=%.1f p50_us=%d p90_us=%d " ..
          "p99_us=%d max_us=%d connect_errors=%d read_errors=%d write_errors=%d non2xx=%d " ..
          "timeouts=%d\n",
      summary.requests, seconds, summary.requests / seconds, summary.bytes, latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
