-- wrk script for bench/scim. MODE picks the work:
--   get_user_name   GET /Users?filter=userName eq "…" of a random seeded user
--   get_external_id GET /Users?filter=externalId eq "…" of a random seeded user
--   post_user       POST /Users, a new user each request (unique per thread)
--   scim_users      POST /Users until the thread made QUOTA users
--   scim_groups     per group: POST /Groups, then PATCH 100 members (QUOTA groups a thread)
--   api_members     POST /api/v1/orgs/bench/members until QUOTA members a thread
--   api_teams       per team: POST /teams, then POST /members/bulk add_to_team of 100
-- Threads are told apart by their number (set in setup); FIRST is the id of
-- the first user of the run, N the number of seeded users.
local mode = os.getenv("MODE")
local token = os.getenv("TOKEN")
local n = tonumber(os.getenv("N") or "1000000")
local quota = tonumber(os.getenv("QUOTA") or "0")
local first = tonumber(os.getenv("FIRST") or "2")
local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 1
  made = 0
  pending = nil
  math.randomseed(os.time() * 1000 + tid)
end

local function auth(extra)
  local h = {["Authorization"] = "Bearer " .. token}
  if extra then h["Content-Type"] = extra end
  return h
end

local function user_body(name)
  return string.format(
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s@corp.example","externalId":"x-%s",' ..
    '"name":{"givenName":"Bench","familyName":"%s"},"emails":[{"value":"%s@corp.example","type":"work","primary":true}],"active":true}',
    name, name, name, name)
end

local function members_of(group)
  -- 100 users of the run, group g takes users 100g .. 100g+99 (ids FIRST + k).
  local parts = {}
  for k = 0, 99 do
    parts[#parts + 1] = tostring(first + group * 100 + k)
  end
  return parts
end

request = function()
  if mode == "get_user_name" then
    local i = math.random(n)
    return wrk.format("GET", "/scim/v2/Users?filter=userName%20eq%20%22u" .. i .. "%40corp.example%22", auth())
  elseif mode == "get_external_id" then
    local i = math.random(n)
    return wrk.format("GET", "/scim/v2/Users?filter=externalId%20eq%20%22ext-" .. i .. "%22", auth())
  elseif mode == "post_user" or mode == "scim_users" then
    made = made + 1
    local name = "t" .. tid .. "-" .. made .. "-" .. os.getenv("RUN")
    return wrk.format("POST", "/scim/v2/Users", auth("application/scim+json"), user_body(name))
  elseif mode == "api_members" then
    made = made + 1
    local name = "t" .. tid .. "-" .. made .. "-" .. os.getenv("RUN")
    local body = string.format('{"first_name":"Bench","last_name":"%s","email":"%s@corp.example"}', name, name)
    return wrk.format("POST", "/api/v1/orgs/bench/members", auth("application/json"), body)
  elseif mode == "scim_groups" then
    if pending then
      local group = pending
      local values = {}
      for _, id in ipairs(members_of(group.index)) do values[#values + 1] = '{"value":"' .. id .. '"}' end
      local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[' ..
        table.concat(values, ",") .. ']}]}'
      return wrk.format("PATCH", "/scim/v2/Groups/" .. group.id .. "?excludedAttributes=members", auth("application/scim+json"), body)
    end
    made = made + 1
    local name = "g" .. tid .. "-" .. made .. "-" .. os.getenv("RUN")
    return wrk.format("POST", "/scim/v2/Groups?excludedAttributes=members", auth("application/scim+json"),
      '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"' .. name .. '"}')
  elseif mode == "api_teams" then
    if pending then
      local ids = table.concat(members_of(pending.index), ",")
      local body = '{"member_ids":[' .. ids .. '],"change":{"action":"add_to_team","team_id":' .. pending.id .. '}}'
      return wrk.format("POST", "/api/v1/orgs/bench/members/bulk", auth("application/json"), body)
    end
    made = made + 1
    local name = "team" .. tid .. "-" .. made .. "-" .. os.getenv("RUN")
    return wrk.format("POST", "/api/v1/orgs/bench/teams", auth("application/json"), '{"name":"' .. name .. '"}')
  end
end

response = function(status, headers, body)
  if status >= 400 then
    io.stderr:write("HTTP " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
  end
  if mode == "scim_groups" or mode == "api_teams" then
    if pending then
      pending = nil
      if made >= quota then wrk.thread:stop() end
    else
      local id = string.match(body, '"id":"?(g?%d+)"?')
      -- The thread's groups are numbered by thread: (tid - 1) * quota + made - 1.
      pending = {id = id, index = (tid - 1) * quota + made - 1}
    end
  elseif quota > 0 and made >= quota then
    wrk.thread:stop()
  end
end
