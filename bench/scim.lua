-- wrk script for bench/scim. MODE picks the work:
--   get_user_name   GET /Users?filter=userName eq "…" of a random seeded user
--   get_external_id GET /Users?filter=externalId eq "…" of a random seeded user
--   post_user       POST /Users, a new user each request (unique per thread and RUN)
--   post_member     POST /api/v1/orgs/bench/members, the same through the JSON API (the baseline door)
-- N is the number of seeded users.
local mode = os.getenv("MODE")
local token = os.getenv("TOKEN")
local n = tonumber(os.getenv("N") or "1000000")
local run = os.getenv("RUN") or "r"
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 1
  made = 0
  math.randomseed(os.time() * 1000 + tid)
end

local function auth(extra)
  local h = {["Authorization"] = "Bearer " .. token}
  if extra then h["Content-Type"] = extra end
  return h
end

request = function()
  if mode == "get_user_name" then
    local i = math.random(n)
    return wrk.format("GET", "/scim/v2/Users?filter=userName%20eq%20%22u" .. i .. "%40corp.example%22", auth())
  elseif mode == "get_external_id" then
    local i = math.random(n)
    return wrk.format("GET", "/scim/v2/Users?filter=externalId%20eq%20%22ext-" .. i .. "%22", auth())
  elseif mode == "post_member" then
    made = made + 1
    local name = "a" .. tid .. "-" .. made .. "-" .. run
    local body = string.format('{"first_name":"Bench","last_name":"%s","email":"%s@corp.example"}', name, name)
    return wrk.format("POST", "/api/v1/orgs/bench/members", auth("application/json"), body)
  else
    made = made + 1
    local name = "t" .. tid .. "-" .. made .. "-" .. run
    local body = string.format(
      '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s@corp.example","externalId":"x-%s",' ..
      '"name":{"givenName":"Bench","familyName":"%s"},"emails":[{"value":"%s@corp.example","type":"work","primary":true}],"active":true}',
      name, name, name, name)
    return wrk.format("POST", "/scim/v2/Users", auth("application/scim+json"), body)
  end
end

response = function(status, headers, body)
  if status >= 400 then
    io.stderr:write("HTTP " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
  end
end
