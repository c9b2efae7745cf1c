-- wrk script: POST /api/comment/new with a fresh content id and comment per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local content = math.random(1, 1000)
  wrk.body = string.format('{"email":"bench%d@example.com","comment":"bench comment %d","content_id":%d}', n % 97, n, content)
  return wrk.format(nil, "/api/comment/new")
end
