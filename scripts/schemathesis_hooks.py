"""Authentication for scripts/api-fuzz: an admin token of the demo
organization, made by `roster token create` against the server's database.

The fuzzer revokes tokens (DELETE /tokens/{id}) and removes members like
anyone may; when that takes its own token away, the 401 makes schemathesis
fetch a fresh one here and send the request again."""

import os
import subprocess

import schemathesis


@schemathesis.auth(retry_on=[401])
class RosterToken:
    def get(self, case, context):
        made = subprocess.run(
            [os.environ["ROSTER_BIN"], "token", "create", "--org", "demo", "--name", "schemathesis", "--role", "admin"],
            check=True,
            capture_output=True,
            text=True,
        )
        return made.stdout.strip()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
