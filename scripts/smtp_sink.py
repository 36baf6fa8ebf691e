"""A real SMTP server on loopback for Roster's tests (aiosmtpd).

Every message it accepts is written to DIR as one JSON file: the envelope,
the raw message, its headers, and its text and HTML parts decoded by
Python's email package. Recipients steer failures, so that tests can see
Roster's retries and permanent failures against a real server:

  reject-…@…     550 (permanent) at RCPT
  tempfail-…@…   451 (temporary) at RCPT

Usage: smtp_sink.py HOST PORT DIR   (prints "ready" once it listens)
"""

import asyncio
import email
import email.policy
import json
import os
import sys
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject-"):
            return "550 5.1.1 Mailbox unavailable: " + address
        if local.startswith("tempfail-"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and kind not in parts:
                # As the reader sees it: line breaks as \n.
                parts[kind] = part.get_content().replace("\r\n", "\n")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": [[k, str(v)] for k, v in message.items()],
            "raw": raw.decode("utf-8", "replace"),
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
        }
        name = os.path.join(self.directory, uuid.uuid4().hex)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name + ".json")
        return "250 Message accepted for delivery"


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname=host, port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
