"""How long offduty takes to refuse bad input, and to read inputs at their size bounds.

Issue 13 asks that every reproducer be refused in one line within 2 seconds and that
nothing take more than a few seconds to refuse.  This script prints, per interface, the
slowest and median time to answer each file of ``tests/robust_corpus/`` (in this process,
through ``offduty_core.cli.main``, as the fuzz suite calls it), and the time to read inputs
at the bounds of ``docs/limits.md``:

* ``calibrate`` of a 100,000-row history (valid, then with one bad cell on its last line);
* ``roster validate`` of a roster just under the 5,000,000-byte bound;
* ``bill`` of the largest story accepted: 200 positions, a 72-hour shift, 1,000 events;
* ``bill -`` of 1,000 stories as JSON Lines.

Figures are printed, never asserted: timings belong to the machine.

    python benchmarks/bench_robust.py
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def offduty(*argv, stdin: bytes | None = None) -> tuple[int, float]:
    from offduty_core.cli import main

    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    began = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main([str(a) for a in argv])
    finally:
        sys.stdin = saved
    return code, time.perf_counter() - began


def corpus(folder: Path) -> None:
    story = ROOT / "examples" / "chandler-cancel-inside.json"
    commands = {"bill": lambda f: ["bill", f], "roster": lambda f: ["explain", "--roster", f, story],
                "history": lambda f: ["calibrate", f, "--out", folder / "never.toml"],
                "scenario": lambda f: ["scenario", f],
                "explain": lambda f: ["explain", "--roster", ROOT / "examples" / "roster-chandler.csv", f, "--slot", 1,
                                      "--method", "sequencing"]}
    offduty("bill", story)  # imports and plugins loaded once, outside the figures
    print("corpus (tests/robust_corpus): seconds to answer each file")
    for kind, command in commands.items():
        times = [offduty(*command(path))[1] for path in sorted((ROOT / "tests" / "robust_corpus" / kind).iterdir())]
        print(f"  {kind:8} {len(times):3} files  median {statistics.median(times):.4f}  slowest {max(times):.4f}")


def bounds(folder: Path) -> None:
    print("inputs at the bounds: seconds (exit code)")
    history = (ROOT / "simulations" / "data" / "history-chandler-az.csv").read_text().splitlines()
    rows, n = [history[0]], 0
    while len(rows) <= 100_000:
        for line in history[1:]:
            cells = line.split(",")
            cells[0] = f"R{n}"
            n += 1
            rows.append(",".join(cells))
    rows = rows[:100_001]
    big = folder / "history-100k.csv"
    big.write_text("\n".join(rows) + "\n")
    code, seconds = offduty("calibrate", big, "--out", folder / "fitted.toml")
    print(f"  calibrate, 100,000 rows ({big.stat().st_size:,} bytes): {seconds:.2f} ({code})")
    cells = rows[-1].split(",")
    cells[7] = "²"
    big.write_text("\n".join(rows[:-1] + [",".join(cells)]) + "\n")
    code, seconds = offduty("calibrate", big, "--out", folder / "fitted.toml")
    print(f"  calibrate, 100,000 rows, a bad cell on the last: {seconds:.2f} ({code})")

    from offduty_core.limits import MAX_ROSTER_BYTES

    head = ("badge,agency,seniority_date,rank,qualifications,approved,active,schedule,shift_start,shift_hours,"
            "anchor,days_off,duty_dates,history,name\n")
    line = "{},chandler-az,2012-05-01,officer,sso,yes,yes,5x8,07:00,,2027-06-14,,,2027-05-02:4;2027-05-09:5,Pat\n"
    count = (MAX_ROSTER_BYTES - len(head)) // len(line.format(100000)) - 1
    roster = folder / "roster.csv"
    roster.write_text(head + "".join(line.format(100000 + i) for i in range(count)))
    code, seconds = offduty("roster", "validate", roster)
    print(f"  roster validate, {count:,} officers ({roster.stat().st_size:,} bytes): {seconds:.2f} ({code})")

    example = json.loads((ROOT / "examples" / "chandler-cancel-inside.json").read_text())
    example["request"].update(positions={"officer": 150, "supervisor": 40, "scribe": 10},
                              start="2027-06-20T18:00", end="2027-06-23T18:00")
    example["events"] = ([{"type": "clock", "slot": i, "in": "2027-06-20T18:00", "out": "2027-06-23T17:00"}
                          for i in range(200)] + [{"type": "assign", "slot": i % 200, "officer": str(i)}
                                                  for i in range(800)])
    worst = folder / "worst.json"
    worst.write_text(json.dumps(example))
    code, seconds = offduty("bill", worst)
    print(f"  bill, 200 positions x 72 h, 1,000 events: {seconds:.2f} ({code})")
    lines = (json.dumps(json.loads((ROOT / "examples" / "chandler-cancel-inside.json").read_text())) + "\n") * 1000
    code, seconds = offduty("bill", "-", stdin=lines.encode())
    print(f"  bill -, 1,000 stories of JSON Lines: {seconds:.2f} ({code})")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        corpus(Path(tmp))
        bounds(Path(tmp))
