#!/usr/bin/env python3
"""The floor of a member's creation on SQLite: the rows one creation writes
(the member with every index and the trigram search index, its status
history row, its audit row), each creation its own transaction, by 4
writers at once, with nothing of Roster in the way (Python's sqlite3).
Prints the latency percentiles of one creation.

    bench/member-insert-floor.py DB [COUNT]
"""
import sqlite3
import sys
import threading
import time

db, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000
WRITERS = int(__import__("os").environ.get("WRITERS", "4"))
latencies = []
lock = threading.Lock()


def writer(w):
    conn = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    org = conn.execute("SELECT id FROM organizations WHERE slug = 'bench'").fetchone()[0]
    for i in range(count // WRITERS):
        name = f"floor{w}-{i}-{time.time_ns()}"
        email = f"{name}@floor.example"
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        now = int(time.time() * 1000)
        cur = conn.execute(
            "INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, comment, phone, "
            "location, skills, department, role, seat_type, status, external, custom_fields, search_text, created_at, "
            "updated_at, email_skeleton) VALUES (?, 'Floor', ?, ?, ?, ?, '', '', '', '', '', 'reader', NULL, 'added', 0, "
            "'{}', ?, ?, ?, ?) RETURNING id",
            (org, name, email, email, email, f"floor {name} {email} {email}", now, now, email))
        member = cur.fetchone()[0]
        conn.execute("INSERT INTO member_status_history (org_id, member_id, from_status, to_status, actor, at) "
                     "VALUES (?, ?, NULL, 'added', 'floor', ?)", (org, member, now))
        conn.execute("INSERT INTO audit_events (org_id, at, actor, action, target_kind, target_id, outcome, ip, "
                     "request_id, details) VALUES (?, ?, 'floor', 'member.create', 'member', ?, 'success', '', '', '{}')",
                     (org, now, str(member)))
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed * 1000)


threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
start = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
total = time.perf_counter() - start
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"{len(latencies)} creations by {WRITERS} writers in {total:.1f} s ({len(latencies) / total:.0f}/s): "
      f"p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, p99 {pick(0.99):.2f} ms, max {latencies[-1]:.2f} ms")
