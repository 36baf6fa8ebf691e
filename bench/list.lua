-- wrk script: the first page of 50 members, sorted by name.
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/orgs/bench/members?limit=50", {["Authorization"] = "Bearer " .. token})
end
