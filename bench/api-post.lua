-- wrk script: POST /api/comment/new with a fresh content id and comment per request, from 97
-- commenters; `-- unique` after the URL makes every email address new.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local unique = false
local threads = 0
function setup(thread) -- in the main state: each thread gets `id`, a global in its own state
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  unique = args[1] == "unique"
end
request = function()
  n = n + 1
  local content = math.random(1, 1000)
  local who = unique and string.format("%d-%d", id, n) or tostring(n % 97)
  wrk.body = string.format('{"email":"bench%s@example.com","comment":"bench comment %d","content_id":%d}', who, n, content)
  return wrk.format(nil, "/api/comment/new")
end
