-- The write mix: 70 % POST /write/{unique key}?value=..., 30 % GET /.
-- Every write creates a new key (thread id + counter), like new data arriving.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local counter = 0
local write_headers = {}

function init(args)
  -- Variant (a) requires a write token in production; (b) and (c) ignore the header.
  write_headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "change-me")
end

function request()
  counter = counter + 1
  if counter % 10 < 3 then
    return wrk.format("GET", "/")
  end
  local key = "bench-" .. id .. "-" .. counter
  return wrk.format("POST", "/write/" .. key .. "?value=v" .. counter, write_headers)
end
