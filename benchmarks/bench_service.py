"""Load figures for ``offduty serve``: a real server process on loopback, on SQLite and on
PostgreSQL, driven by client threads (httpx).  It prints figures; it asserts nothing.

(a) 500 chandler-az officers, each with a token, accept one newly released first-come shift
    at the same instant: the answers (one award, 499 refusals, no 500 is the right outcome),
    their p50/p95 latency and the throughput.
(b) 1,000 requests submitted in a burst by vendors (while officers accept open shifts beside
    them): the answers, p50/p95 latency, throughput; then every officer's bookings are summed
    per day and week and checked against the agency's caps and rest (``HourCaps`` of
    plugins/agencies/chandler_az.py: daily 16 h, 8 h rest), counting violations.

Usage::

    .venv/bin/python benchmarks/bench_service.py [--db sqlite|postgresql|both] [--requests 1000]

PostgreSQL is the server at 127.0.0.1:5432 (database ``test``); the run uses a schema of its
own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from offduty_core import default_registry
from offduty_service import tables as t
from offduty_service.db import engine_for

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository, for its tests' helpers
from tests.service_support import load_users, open_store, pg_schema  # noqa: E402

OFFDUTY = str(Path(sys.executable).with_name("offduty"))
AGENCY = "chandler-az"
OFFICERS = 500
VENDORS = 20


def roster_csv(n: int) -> str:
    """``n`` chandler-az officers, approved and active, with no on-duty schedule (so only caps,
    rest and overlap ever refuse them)."""
    lines = ["badge,agency,seniority_date,rank,qualifications,approved,active,schedule,shift_start,shift_hours,"
             "anchor,days_off,duty_dates,history,name"]
    for i in range(n):
        lines.append(f"{5000 + i},{AGENCY},{2000 + i % 25}-0{1 + i % 9}-{1 + i % 28:02d},officer,,yes,yes,,,,,,,,"
                     f"Officer {i}")
    return "\n".join(lines) + "\n"


def setup_program(url: str, tmp: Path) -> dict[str, list[str]]:
    store = open_store(url)  # a manual clock at Tuesday 2027-06-01 08:00 in Phoenix
    tokens = load_users(store, AGENCY, VENDORS, OFFICERS, first_badge=5000)
    store.engine.dispose()
    roster = tmp / "roster-500.csv"
    roster.write_text(roster_csv(OFFICERS))
    subprocess.run([OFFDUTY, "service", "import-roster", "--db", url, str(roster)], check=True,
                   stdout=subprocess.DEVNULL)
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, tmp: Path, token: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "serve.log", "wb")
    proc = subprocess.Popen([OFFDUTY, "serve", "--db", url, "--clock", "manual", "--port", str(port),
                             "--outbox", str(tmp / "outbox.log")], stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((tmp / "serve.log").read_text())
        try:
            if httpx.get(f"{base}/api/v1/clock", headers={"Authorization": f"Bearer {token}"}, timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("offduty serve did not start")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def release(threads: list[threading.Thread], barrier: threading.Barrier,
            beside: Sequence[threading.Thread] = ()) -> float:
    """Start ``threads`` (each waits at ``barrier``), let them go at once, start ``beside`` and wait
    for ``threads`` to end: the seconds from the start signal to their end."""
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in beside:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def figures(name: str, latencies: list[float], wall: float, statuses: Counter) -> str:
    return (f"  {name}: n={len(latencies)} in {wall:.2f} s -> {len(latencies) / wall:.0f} req/s; "
            f"latency p50 {pct(latencies, 50) * 1000:.0f} ms, p95 {pct(latencies, 95) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms; statuses {dict(sorted(statuses.items()))}")


def scenario_first_come(base: str, tokens: dict[str, list[str]]) -> None:
    """(a) one newly released first-come shift, 500 officers accept at once."""
    body = {"category": "special_event", "start": "2027-06-03T18:00", "end": "2027-06-03T22:00",
            "positions": {"officer": 1}}
    r = httpx.post(f"{base}/api/v1/requests", json=body, headers=auth(tokens["vendor"][0]), timeout=30)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    n = len(tokens["officer"])
    barrier = threading.Barrier(n + 1)
    results: list[tuple[int, float, object]] = [None] * n  # type: ignore[list-item]

    def officer(i: int) -> None:
        with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=1)) as client:
            barrier.wait()
            t0 = time.perf_counter()
            try:
                resp = client.post(f"{base}/api/v1/requests/{rid}/slots/0/accept",
                                   headers={**auth(tokens["officer"][i]), "Idempotency-Key": uuid.uuid4().hex})
                results[i] = (resp.status_code, time.perf_counter() - t0, resp.json())
            except httpx.TransportError as exc:
                results[i] = (-1, time.perf_counter() - t0, repr(exc))

    wall = release([threading.Thread(target=officer, args=(i,)) for i in range(n)], barrier)
    statuses = Counter(s for s, _, _ in results)
    awards = sum(1 for s, _, b in results if s == 200 and isinstance(b, dict) and b.get("status") == "awarded")
    view = httpx.get(f"{base}/api/v1/requests/{rid}", headers=auth(tokens["operator"][0]), timeout=30).json()
    holders = [s["officer"] for s in view["slots"] if s["officer"]]
    print(f"(a) 500 officers, one first-come shift ({rid}):")
    print(figures("accept", [lat for _, lat, _ in results], wall, statuses))
    ok = awards == 1 and statuses.get(409, 0) == n - 1 and not any(s >= 500 or s < 0 for s in statuses)
    print(f"  awards {awards}, 409s {statuses.get(409, 0)}, 5xx {sum(v for s, v in statuses.items() if s >= 500)}, "
          f"connection errors {statuses.get(-1, 0)}; slot held by {holders} -> {'as expected' if ok else 'UNEXPECTED'}")


def scenario_burst(base: str, tokens: dict[str, list[str]], n_requests: int, seed: int = 7) -> None:
    """(b) ``n_requests`` submitted by vendors in a burst, officers accepting beside them."""
    senders = 50
    per = [n_requests // senders + (1 if i < n_requests % senders else 0) for i in range(senders)]
    barrier = threading.Barrier(senders + 1)
    stop = threading.Event()
    lock = threading.Lock()
    submits: list[tuple[int, float]] = []
    accepts: list[tuple[int, float]] = []
    errors: list[str] = []

    def vendor(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        token = tokens["vendor"][i % len(tokens["vendor"])]
        with httpx.Client(timeout=300) as client:
            barrier.wait()
            for _ in range(per[i]):
                day = date(2027, 6, 4) + timedelta(days=rng.randrange(0, 25))
                hour = rng.randint(6, 17)
                length = rng.choice((3, 4, 5, 6))
                body = {"category": "special_event", "start": f"{day}T{hour:02d}:00",
                        "end": f"{day}T{hour + length:02d}:00", "positions": {"officer": rng.randint(1, 3)}}
                t0 = time.perf_counter()
                try:
                    r = client.post(f"{base}/api/v1/requests", json=body,
                                    headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex})
                    status = r.status_code
                    if status >= 500:
                        with lock:
                            errors.append(r.text[:200])
                except httpx.TransportError as exc:
                    status = -1
                    with lock:
                        errors.append(repr(exc))
                with lock:
                    submits.append((status, time.perf_counter() - t0))

    def officer(i: int) -> None:
        rng = random.Random(seed * 7919 + i)
        token = tokens["officer"][i]
        with httpx.Client(timeout=300) as client:
            while not stop.is_set():
                try:
                    r = client.get(f"{base}/api/v1/shifts/open", headers=auth(token))
                    shifts = r.json() if r.status_code == 200 else []
                    if not shifts:
                        time.sleep(0.05)
                        continue
                    shift = rng.choice(shifts)
                    t0 = time.perf_counter()
                    r = client.post(f"{base}/api/v1/requests/{shift['request_id']}/slots/{shift['slot']}/accept",
                                    headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex})
                    with lock:
                        accepts.append((r.status_code, time.perf_counter() - t0))
                except httpx.TransportError as exc:
                    with lock:
                        errors.append(repr(exc))

    vendors = [threading.Thread(target=vendor, args=(i,)) for i in range(senders)]
    officers = [threading.Thread(target=officer, args=(i,)) for i in range(1, 41)]  # badge 5000 holds (a)'s shift
    wall = release(vendors, barrier, beside=officers)
    stop.set()
    for th in officers:
        th.join()
    print(f"(b) {n_requests} requests in a burst from {senders} vendor threads ({len(officers)} officers accepting):")
    print(figures("submit", [lat for _, lat in submits], wall, Counter(s for s, _ in submits)))
    if accepts:
        print(figures("accept (beside)", [lat for _, lat in accepts], wall, Counter(s for s, _ in accepts)))
    if errors:
        print(f"  errors ({len(errors)}): {errors[:3]}")


def cap_violations(url: str) -> tuple[int, int, list[str]]:
    """Bookings per officer summed per local day and week against the agency's caps, and the
    rest between them: (bookings, officers booked, violations)."""
    caps = default_registry().rules(AGENCY).caps
    engine = engine_for(url)
    with engine.connect() as conn:
        rows = conn.execute(select(t.bookings)).all()
    engine.dispose()
    by_badge: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in rows:
        by_badge[row.badge].append((datetime.fromisoformat(row.start), datetime.fromisoformat(row.end)))
    problems = []
    for badge, shifts in by_badge.items():
        shifts.sort()
        day_h: Counter = Counter()
        week_h: Counter = Counter()
        for start, end in shifts:  # local times (Phoenix has no DST): split at local midnight
            cur = start
            while cur < end:
                nxt = min(end, datetime.combine(cur.date() + timedelta(days=1), datetime.min.time(), cur.tzinfo))
                hours = (nxt - cur).total_seconds() / 3600
                day_h[cur.date()] += hours
                week_h[(cur.date() - timedelta(days=(cur.weekday() - caps.week_start) % 7))] += hours
                cur = nxt
        if caps.daily is not None:
            problems += [f"{badge} {d}: {h} h > {caps.daily}" for d, h in day_h.items() if h > float(caps.daily)]
        if caps.weekly is not None:
            problems += [f"{badge} week {w}: {h} h > {caps.weekly}" for w, h in week_h.items() if h > float(caps.weekly)]
        for (s1, e1), (s2, e2) in zip(shifts, shifts[1:]):
            if s2 - e1 < caps.min_rest:
                problems.append(f"{badge}: {s1}-{e1} then {s2}-{e2}: rest {s2 - e1} < {caps.min_rest}")
    return len(rows), len(by_badge), problems


def run(db: str, n_requests: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-service-{db}-"))
    database = (contextlib.nullcontext(f"sqlite:///{tmp / 'offduty.db'}") if db == "sqlite"
                else pg_schema("bench_", digits=12))  # a schema of its own, dropped afterwards
    with database as url:
        proc = None
        try:
            print(f"== {db} ==")
            t0 = time.perf_counter()
            tokens = setup_program(url, tmp)
            proc, base = start_server(url, tmp, tokens["operator"][0])
            print(f"  setup (500 officers, roster import, server start): {time.perf_counter() - t0:.1f} s")
            scenario_first_come(base, tokens)
            scenario_burst(base, tokens, n_requests)
            bookings, officers, problems = cap_violations(url)
            print(f"  caps: {bookings} bookings of {officers} officers checked against daily/weekly caps and rest: "
                  f"{len(problems)} violations {problems[:3]}")
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        run(db, args.requests)


if __name__ == "__main__":
    main()
