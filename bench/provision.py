#!/usr/bin/env python3
"""Provisioning load for bench/scim: USERS users, then GROUPS groups of 100,
made by 4 clients at once (threads with a kept-alive HTTP connection each),
through SCIM or through the JSON API. Prints one JSON line: the seconds of
each phase and how many requests failed.

    bench/provision.py scim|api BASE TOKEN USERS GROUPS FIRST_ID
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

door, base, token, users, groups, first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
CLIENTS = 4
host = urllib.parse.urlparse(base)
failures = []


def connection():
    return http.client.HTTPConnection(host.hostname, host.port, timeout=120)


def call(conn, method, path, body):
    kind = "application/scim+json" if door == "scim" else "application/json"
    conn.request(method, path, body=json.dumps(body), headers={"Authorization": f"Bearer {token}", "Content-Type": kind})
    res = conn.getresponse()
    data = res.read()
    if res.status >= 400:
        failures.append(f"{method} {path}: {res.status} {data[:200]!r}")
        return None
    return json.loads(data) if data else {}


def make_users(client):
    conn = connection()
    for k in range(client, users, CLIENTS):
        name = f"p{k}"
        if door == "scim":
            call(conn, "POST", "/scim/v2/Users", {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"{name}@corp.example", "externalId": f"x-{name}",
                "name": {"givenName": "Bench", "familyName": name},
                "emails": [{"value": f"{name}@corp.example", "type": "work", "primary": True}],
                "active": True})
        else:
            call(conn, "POST", "/api/v1/orgs/bench/members",
                 {"first_name": "Bench", "last_name": name, "email": f"{name}@corp.example"})


def make_groups(client):
    conn = connection()
    for g in range(client, groups, CLIENTS):
        ids = [first + g * 100 + k for k in range(100)]
        if door == "scim":
            made = call(conn, "POST", "/scim/v2/Groups?excludedAttributes=members", {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": f"Group {g}"})
            if made is None:
                continue
            call(conn, "PATCH", f"/scim/v2/Groups/{made['id']}?excludedAttributes=members", {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": str(i)} for i in ids]}]})
        else:
            made = call(conn, "POST", "/api/v1/orgs/bench/teams", {"name": f"Group {g}"})
            if made is None:
                continue
            call(conn, "POST", "/api/v1/orgs/bench/members/bulk",
                 {"member_ids": ids, "change": {"action": "add_to_team", "team_id": made["id"]}})


def phase(work):
    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


users_s = phase(make_users)
groups_s = phase(make_groups)
print(json.dumps({"door": door, "users": users, "users_s": round(users_s, 2), "groups": groups,
                  "groups_s": round(groups_s, 2), "total_s": round(users_s + groups_s, 2),
                  "failed": len(failures), "first_failures": failures[:3]}))
