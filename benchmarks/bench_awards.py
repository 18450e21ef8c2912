"""Cost per award, from 100 to 5,000 officers, for each distribution method.

A fixed stream of shifts (``--shifts``, one officer each, spread over ``--days``) is posted to
a Chandler board whose roster grows; simulated officers answer the way a simulator would,
without ever looking at the whole roster: a few officers drawn at random from the shift's
indexed pool apply or accept, and a rotation offer is accepted 70 % of the time.  The time of
the whole run (posting, answers, eligibility checks, awards, window closes, billing at the
end excluded) is divided by the number of awards.  The last column, for contrast, is what
one award would cost if the candidates were found by checking every officer of the pool
(the naive design the board avoids): it grows with the roster; the board's columns do not.

    python benchmarks/bench_awards.py            # the table
    python benchmarks/bench_awards.py --quick    # smaller, for a smoke run

Figures are printed, never asserted: timings belong to the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from offduty_core.eligibility import Eligibility, OfficerBook, Shift
from offduty_core.lifecycle import Accept, Apply, Decline, JobBoard, SubmitRequest
from offduty_core.model import Request
from offduty_core.officers import generate_roster
from offduty_core.plugins import Registry, get_plugin_manager

AGENCY = "chandler-az"
TZ = ZoneInfo("America/Phoenix")
ORIGIN = datetime(2027, 3, 1, tzinfo=TZ)
METHODS = {
    "immediate-release": {},
    "seniority": {"window_hours": 24},
    "sequencing": {"response_minutes": 60, "roll": "accepted"},
    "bidding": {"order": "fewest_hours", "window_hours": 24},
    "fairness": {"window_hours": 24, "lookback": "year_to_date"},
}


def requests(n_shifts: int, days: int, seed: int) -> list[Request]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_shifts):
        start = ORIGIN + timedelta(days=2, hours=int(rng.integers(0, days * 24)))
        hours = int(rng.integers(2, 9))
        lead = timedelta(hours=int(rng.integers(30, 240)))
        out.append(Request(id=f"B-{i}", vendor="Bench", category="security",
                           received_at=max(ORIGIN, start - lead), start=start, end=start + timedelta(hours=hours),
                           positions={"officer": 1}))
    return sorted(out, key=lambda r: r.received_at)


def run(registry: Registry, roster, method: str, reqs: list[Request], seed: int) -> tuple[float, int]:
    board = JobBoard(registry, roster, distribution={AGENCY: {"*": {"method": method, "params": METHODS[method]}}},
                     settle_after=timedelta(days=365))  # keep billing out of the timing
    rng = np.random.default_rng(seed)
    pool = roster.pool(AGENCY)
    window = method in ("seniority", "bidding", "fairness")
    started = time.perf_counter()
    for req in reqs:
        board.handle(SubmitRequest(agency=AGENCY, request=req))
        at = req.received_at  # answers come at once (requests arrive in time order)
        st = board.jobs[req.id].slots[0]
        if method == "sequencing":
            for _ in range(12):
                posting = st.posting
                if st.status != "open" or posting.pending is None:
                    break
                cls = Accept if rng.random() < 0.7 else Decline
                board.handle(cls(at=at, request_id=req.id, slot=0, badge=posting.pending))
        tries = 5 if window else 20
        for _ in range(tries):
            if st.status != "open":
                break
            badge = pool[int(rng.integers(len(pool)))].badge
            board.handle((Apply if window else Accept)(at=at, request_id=req.id, slot=0, badge=badge))
    board.advance(reqs[-1].end + timedelta(days=1))
    elapsed = time.perf_counter() - started
    awards = sum(1 for r in board.records if r.kind == "Awarded")
    return elapsed, awards


def naive_scan(registry: Registry, roster, reqs: list[Request], sample: int) -> float:
    """Seconds per shift to find every eligible officer by checking the whole pool."""
    rules = registry.rules(AGENCY)
    book = OfficerBook(roster, {AGENCY: rules.info.tz}, {AGENCY: rules.caps})
    elig = Eligibility(book)
    pool = roster.pool(AGENCY)
    started = time.perf_counter()
    for req in reqs[:sample]:
        shift = Shift(request_id=req.id, slot=0, role="officer", category="security", agency=AGENCY,
                      start=req.start, end=req.end)
        [o for o in pool if elig.why_not(o, shift) is None]
    return (time.perf_counter() - started) / sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", default="100,500,1000,2000,5000")
    parser.add_argument("--shifts", type=int, default=2000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="100,1000 officers, 300 shifts, 1 run")
    args = parser.parse_args(argv)
    if args.quick:
        args.officers, args.shifts, args.repeat = "100,1000", 300, 1
    sizes = [int(x) for x in args.officers.split(",")]
    registry = Registry(get_plugin_manager(entry_points=False))
    reqs = requests(args.shifts, args.days, args.seed)
    print(f"cost per award (microseconds), {args.shifts} one-officer shifts over {args.days} days, {AGENCY}, "
          f"best of {args.repeat}")
    header = ["officers"] + list(METHODS) + ["naive scan"]
    print("  ".join(f"{h:>17}" for h in header))
    for n in sizes:
        roster = generate_roster(n, seed=args.seed, agencies=[AGENCY])
        row = [f"{n:>17}"]
        for method in METHODS:
            best = None
            for r in range(args.repeat):
                elapsed, awards = run(registry, roster, method, reqs, args.seed + r)
                cost = elapsed / max(awards, 1) * 1e6
                best = cost if best is None else min(best, cost)
            row.append(f"{best:>12.0f} ({awards * 100 // args.shifts:>2}%)"[-17:].rjust(17))
        row.append(f"{naive_scan(registry, roster, reqs, 100) * 1e6:>17.0f}")
        print("  ".join(row), flush=True)
    print("(in brackets: share of shifts awarded; naive scan: checking every officer of the pool for one shift)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
