"""The live service survives ``kill -9``: a real ``offduty serve`` process is killed at random
points while vendors submit requests and officers accept and clock in and out from threads,
and restarted each time.  Clients retry a write after a connection error with the same
``Idempotency-Key``, as a phone app would.

At the end, on SQLite and on PostgreSQL:

- no answer was a 500;
- every write that got an answer the service logs (every 2xx, and a 4xx the rules gave) is
  in ``inputs`` exactly once, with the answer the client got;
- no idempotency key appears twice;
- a fresh program replaying the log makes the very records of the ``records`` table and the
  very request views of the ``requests`` table (and the ``bookings`` of its filled slots);
- no slot ever had two officers, and no slot was acknowledged to two officers.

PostgreSQL: each test gets a schema of its own (``search_path``), dropped afterwards.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import timezone
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

from sqlalchemy import select  # noqa: E402

from offduty_core import default_registry  # noqa: E402
from offduty_service import tables as t  # noqa: E402
from offduty_service.codec import record_json  # noqa: E402
from offduty_service.db import engine_for  # noqa: E402
from offduty_service.program import Program  # noqa: E402
from offduty_service.store import Clock, Store, from_iso, request_view  # noqa: E402
from tests.service_support import database_url, load_users, open_store  # noqa: E402

OFFDUTY = str(Path(sys.executable).with_name("offduty"))
AGENCY = "chandler-az"
OFFICERS = 16
VENDORS = 2
KILLS = 4
SEED = 20270601


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    with database_url(request.param, tmp_path, prefix="t_crash_") as url:
        yield url


def roster_csv(n: int) -> str:
    """``n`` chandler-az officers with no on-duty schedule (eligible whenever caps and rest allow)."""
    lines = ["badge,agency,seniority_date,rank,qualifications,approved,active,schedule,shift_start,shift_hours,"
             "anchor,days_off,duty_dates,history,name"]
    for i in range(n):
        lines.append(f"{1000 + i},{AGENCY},2015-01-{1 + i % 28:02d},officer,,yes,yes,,,,,,,,Officer {i}")
    return "\n".join(lines) + "\n"


def setup_program(url: str) -> dict[str, list[str]]:
    """Migrate ``url``, import the roster and add the users; their tokens by role."""
    store = open_store(url)
    tokens = load_users(store, AGENCY, VENDORS, OFFICERS, first_badge=1000)
    store.submit("roster", {"csv": roster_csv(OFFICERS), "source": "roster.csv"}, actor="test", role="operator",
                 agencies=[AGENCY])
    store.engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``offduty serve`` as a child process, killed with SIGKILL and started again."""

    def __init__(self, url: str, tmp: Path, token: str):
        self.url, self.tmp, self.token = url, tmp, token
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.tmp / f"serve-{self.starts}.log", "wb")
        self.proc = subprocess.Popen(
            [OFFDUTY, "serve", "--db", self.url, "--clock", "manual", "--port", str(self.port),
             "--outbox", str(self.tmp / "outbox.log"), "--poll", "0.5"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.tmp / f"serve-{self.starts}.log").read_text()
            try:
                r = httpx.get(f"{self.base}/api/v1/clock", headers={"Authorization": f"Bearer {self.token}"},
                              timeout=2)
                if r.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("offduty serve did not answer within 30 s")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: no shutdown, no flush, no rollback but the database's own
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


class Load:
    """Clients that retry every write with its idempotency key until it is answered."""

    def __init__(self, base: str, seed: int):
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answered: list[tuple[str, str, int, object]] = []  # (key, path, status, body)
        self.errors: list[str] = []
        self.retried = 0  # writes sent again with their key after a connection error
        self.seed = seed

    def call(self, client, method: str, path: str, token: str, body=None, key: str | None = None):
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        give_up = time.monotonic() + 45
        while True:
            try:
                r = client.request(method, self.base + path, headers=headers, json=body, timeout=30)
            except httpx.TransportError:
                if key is None and self.stop.is_set():
                    return None  # a read is not worth waiting for once the load is over
                if time.monotonic() > give_up:
                    with self.lock:
                        self.errors.append(f"{method} {path}: no answer in 45 s")
                    return None
                if key is not None:
                    with self.lock:
                        self.retried += 1
                time.sleep(0.05)
                continue
            try:
                answer = r.json()
            except ValueError:
                answer = r.text
            if r.status_code >= 500:
                with self.lock:
                    self.errors.append(f"{method} {path} -> {r.status_code} {answer!r}"[:300])
            if key is not None:
                with self.lock:
                    self.answered.append((key, path, r.status_code, answer))
            return r.status_code, answer

    def vendor(self, token: str, n: int) -> None:
        rng = random.Random(self.seed * 31 + n)
        with httpx.Client() as client:
            while not self.stop.is_set():
                day = rng.randint(8, 28)
                hour = rng.randint(6, 18)
                body = {"category": "special_event", "start": f"2027-06-{day:02d}T{hour:02d}:00",
                        "end": f"2027-06-{day:02d}T{hour + rng.choice((3, 4, 5)):02d}:00",
                        "positions": {"officer": rng.randint(1, 3)}}
                self.call(client, "POST", "/api/v1/requests", token, body, key=uuid.uuid4().hex)
                time.sleep(rng.uniform(0.01, 0.08))

    def officer(self, token: str, n: int) -> None:
        rng = random.Random(self.seed * 97 + n)
        with httpx.Client() as client:
            while not self.stop.is_set():
                got = self.call(client, "GET", "/api/v1/shifts/open", token)
                if got is None or got[0] != 200 or not got[1]:
                    time.sleep(0.05)
                    continue
                shift = rng.choice(got[1])
                where = f"/api/v1/requests/{shift['request_id']}/slots/{shift['slot']}"
                got = self.call(client, "POST", f"{where}/accept", token, key=uuid.uuid4().hex)
                if got is None or got[0] != 200 or got[1].get("status") != "awarded":
                    continue
                if rng.random() < 0.5:
                    got = self.call(client, "POST", f"{where}/clock-in", token, {"device_time": "now"},
                                    key=uuid.uuid4().hex)
                    if got is not None and got[0] == 200:
                        self.call(client, "POST", f"{where}/clock-out", token, {}, key=uuid.uuid4().hex)


def check_log(url: str, load: Load) -> dict[str, int]:
    registry = default_registry()
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            inputs = conn.execute(select(t.inputs).order_by(t.inputs.c.seq)).all()
            records = conn.execute(select(t.records).order_by(t.records.c.id)).all()
            requests = conn.execute(select(t.requests)).all()
            bookings = conn.execute(select(t.bookings)).all()

        # the log is gap-free, and no idempotency key appears twice
        assert [row.seq for row in inputs] == list(range(1, len(inputs) + 1))
        keys = Counter(row.idempotency_key for row in inputs if row.idempotency_key is not None)
        assert [k for k, n in keys.items() if n > 1] == []
        logged = {k.split(":", 1)[1]: row for row in inputs if (k := row.idempotency_key) is not None}

        # every answered write the service logs is logged once, with the answer given
        acked = 0
        for key, path, status, body in load.answered:
            row = logged.get(key)
            if 200 <= status < 300:
                assert row is not None, f"{path} answered {status} {body} but is not in inputs"
            if row is not None:
                acked += 1
                stored = json.loads(row.response)
                assert (stored["status"], stored["body"]) == (status, body), (path, stored, status, body)

        # replaying the log makes the same records
        program = Program(registry)
        by_seq: dict[int, list] = defaultdict(list)
        for row in records:
            by_seq[row.input_seq].append((row.kind, row.request_id, row.slot, row.badge, json.loads(row.body)))
        for row in inputs:
            made = program.apply(row.seq, row.kind, json.loads(row.payload), from_iso(row.at))
            again = []
            for record in made:
                agency = program.agency_of.get(record.request_id)
                tz = registry.rules(agency).info.tz if agency else timezone.utc
                body = record_json(record, tz)
                again.append((record.kind, record.request_id, body.get("slot"), body.get("badge"), body))
            assert again == by_seq.get(row.seq, []), f"input {row.seq} ({row.kind}) replays differently"

        # a fresh store (the server's own catch-up) holds the same request views as the table
        store = Store(engine, registry, Clock(manual=True))
        views = store.read(lambda program, conn: {rid: request_view(program, rid) for rid in program.agency_of})
        assert store.read(lambda program, conn: program.seq) == len(inputs)
        table = {row.request_id: json.loads(row.body) for row in requests}
        assert table == {rid: v for rid, v in views.items() if v is not None}
        for rid, view in table.items():
            assert next(row.status for row in requests if row.request_id == rid) == view["status"]

        # a slot has at most one officer: in the bookings, in the records, in the answers
        filled = {(rid, s["slot"]): s["officer"] for rid, v in views.items() if v is not None
                  for s in v["slots"] if s["status"] == "filled" and s["officer"] is not None}
        assert {(b.request_id, b.slot): b.badge for b in bookings} == filled
        holder: dict[tuple[str, int], str | None] = {}
        for row in records:
            where = (row.request_id, row.slot)
            if row.kind == "Awarded":
                assert holder.get(where) is None, f"{where} awarded to {row.badge} while {holder[where]} holds it"
                holder[where] = row.badge
            elif row.kind in ("Dropped", "Reposted", "Cancelled", "StartChanged"):
                for held in [w for w in holder if w[0] == row.request_id and row.slot in (None, w[1])]:
                    holder[held] = None  # the slot is free again (this load never cancels or moves one)
        awarded = defaultdict(set)
        for key, path, status, body in load.answered:
            if path.endswith("/accept") and status == 200 and body.get("status") == "awarded":
                awarded[path].add(logged[key].actor)
        assert {p: a for p, a in awarded.items() if len(a) > 1} == {}
        return {"inputs": len(inputs), "acknowledged": acked, "records": len(records), "requests": len(requests),
                "bookings": len(bookings), "awarded": sum(len(a) for a in awarded.values())}
    finally:
        engine.dispose()


def test_kill_9_loses_and_doubles_nothing(db_url, tmp_path):
    tokens = setup_program(db_url)
    server = Server(db_url, tmp_path, tokens["operator"][0])
    rng = random.Random(SEED)
    load = Load(server.base, SEED)
    threads = [threading.Thread(target=load.vendor, args=(tok, i), daemon=True) for i, tok in enumerate(tokens["vendor"])]
    threads += [threading.Thread(target=load.officer, args=(tok, i), daemon=True)
                for i, tok in enumerate(tokens["officer"][:8])]
    server.start()
    try:
        for thread in threads:
            thread.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.4, 1.5))
            server.kill9()
            time.sleep(rng.uniform(0.0, 0.3))
            server.start()
        time.sleep(1.0)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        load.stop.set()
        server.stop()
    assert load.errors == []
    summary = check_log(db_url, load)
    print(f"{db_url.split(':')[0]}: {server.starts} starts, {load.retried} writes retried, {summary}")
    assert summary["acknowledged"] > 20 and summary["awarded"] > 0 and load.retried > 0, summary
