-- wrk script: a member search in match order (sort=id), one of several substrings per request.
local terms = {"m%C3%BCll", "user4242", "h%C3%A9l%C3%A8", "van%20den", "werkstud", "user99999", "k%C3%B6hl", "p123456"}
local token = os.getenv("TOKEN")
request = function()
  local q = terms[math.random(#terms)]
  return wrk.format("GET", "/api/v1/orgs/bench/members?limit=50&sort=id&q=" .. q, {["Authorization"] = "Bearer " .. token})
end
