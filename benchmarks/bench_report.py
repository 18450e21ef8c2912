"""What finance's CSVs and the report cost on top of a simulated year.

    python benchmarks/bench_report.py                       # chandler-az, seed 1
    python benchmarks/bench_report.py --scenario lynnwood-wa --seed 3

Simulates one year of a packaged scenario in this process, then times, best of ``--repeat``:
``deliverables.write`` (invoices/payroll/city.csv from the ledger frame), and ``report.build``
(tables, charts, report.html, forecast.xlsx), with the files' sizes and row counts.  The
simulation's own time is printed for scale.  Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="chandler-az")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from offduty_core.plugins import default_registry
    from offduty_simulations import deliverables, demand, report
    from offduty_simulations.cli import _load
    from offduty_simulations.model import YearModel, scenario_rules
    from offduty_simulations.outputs import build

    t0 = time.perf_counter()
    scenario = _load(args.scenario)
    published = default_registry().rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    rng = demand.streams(args.seed)
    jobs = demand.generate(scenario, rules, rng, price=demand.price_ratio(rules, published))
    out = build(YearModel(scenario, rules, rng, jobs).run())
    simulate = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder:
        out.write(folder)
        timings = {"deliverables.write": [], "report.build": []}
        for _ in range(args.repeat):
            t = time.perf_counter()
            deliverables.write(folder, out.ledger, out.shifts, rules.terms)
            timings["deliverables.write"].append(time.perf_counter() - t)
            t = time.perf_counter()
            report.build(folder)
            timings["report.build"].append(time.perf_counter() - t)
        print(f"{args.scenario} seed {args.seed}: {len(out.shifts):,} shifts, {len(out.ledger):,} postings; "
              f"simulate + outputs {simulate:.2f} s")
        for name, times in timings.items():
            print(f"  {name:20s} best {min(times):.3f} s of {args.repeat}")
        for name in (*deliverables.FILES, report.HTML, report.XLSX):
            path = Path(folder) / name
            rows = path.read_text().count("\n") - 1 if path.suffix == ".csv" else None
            print(f"  {name:20s} {path.stat().st_size / 1024:8.1f} KiB" + (f", {rows:,} rows" if rows else ""))


if __name__ == "__main__":
    main()
