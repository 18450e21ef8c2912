"""How fast the year simulator runs, against bare SimPy, and how a sweep scales with workers.

    python benchmarks/bench_simulator.py            # mid-size and large agency, sweep 1 vs 2 workers
    python benchmarks/bench_simulator.py --quick    # smaller cases (a smoke run)

Cases: a mid-size agency (about 300 officers, 15,000 shifts a year) and a large one (about
2,000 officers, 100,000 shifts), Chandler's rules, immediate release for most work and
seniority for school shifts.  Each case runs in a fresh process so its peak memory
(``ru_maxrss``) is its own.  Printed per case: shifts; seconds for start-up (pyarrow's one
import of pandas, made before timing: once a process, not a shift's cost), demand, model and
outputs; shifts simulated per second; peak memory (``ru_maxrss``); the SimPy events the model
stepped through; the time bare SimPy takes for the same number of timeouts (the floor any
SimPy model pays); and what a shift costs counted in bare SimPy timeouts measured in the same
process (``/shift``: demand, model and outputs; ``model``: the model alone; issue 11's target
is 100).
The scaling block runs the mid-size year with 150 and 600 officers (flat in officers?) and
half and double the shifts (linear in shifts?).  "mid-size, one day" is the mid-size scenario
simulated for a single day: its peak memory is what the process needs whatever the length of
the run, so the year's peak above it is what a year's worth of state and outputs costs (issue
11: at most 80 MB).  Figures only: nothing is asserted.  ``outputs`` counts the summary and
all three tables (a version that assembles tables when first read has them read).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import resource
import sys
import time

CATEGORY_MIX = {"security": 0.55, "traffic_control": 0.35, "funeral_escort": 0.1}


def scenario_data(officers: int, shifts_per_year: int, days: int = 365) -> dict:
    """A Chandler-rules scenario sized to about ``shifts_per_year`` shifts and ``officers``."""
    # ~1.55 shifts per one-off request (officers per request, supervisors added); schools and
    # events add about 12 % on top.
    schools = max(1, officers // 50)
    school_shifts = schools * 180
    per_week = max(0.0, (shifts_per_year * 0.93 - school_shifts) / 1.55 / 52.0)
    return {
        "name": f"bench {officers} officers ~{shifts_per_year} shifts",
        "agency": {"name": "chandler-az", "days": days},
        "officers": {"count": officers, "sso_share": 0.12},
        "demand": {
            "categories": {cat: {"requests_per_week": round(per_week * share, 3), "vendors": 40}
                           for cat, share in CATEGORY_MIX.items()},
            "school": {"schools": schools},
            "events": {"per_year": max(2, shifts_per_year // 2500)},
        },
        "distribution": {"method": "immediate-release",
                         "categories": {"school_safety": {"method": "seniority", "params": {"window_hours": 48}}}},
    }


def run_case(data: dict, seed: int, queue) -> None:
    import attrs

    from offduty_core import default_registry
    from offduty_simulations import demand
    from offduty_simulations.model import YearModel, scenario_rules
    from offduty_simulations.outputs import build
    from offduty_simulations.scenario import OfficersSection, from_dict

    # Every approved officer works, as in versions that did not model participation, so the
    # figures compare across versions (a checkout that knows participation is told so).
    if "participation" in attrs.fields_dict(OfficersSection):
        data = {**data, "officers": {**data["officers"], "participation": 1.0, "activity_sigma": 0.0}}
    scenario = from_dict(data)
    published = default_registry().rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    # pyarrow imports pandas at its first array, whatever the array is made from (to know
    # pandas objects when it meets them): some 0.3 s, once a process.  That is start-up, as
    # importing offduty is, not a shift's cost, so it happens before the clock starts and is
    # printed on its own ("start-up").
    s0 = time.perf_counter()
    import pyarrow
    pyarrow.array([0])
    startup = time.perf_counter() - s0
    t0 = time.perf_counter()
    rng = demand.streams(seed)
    # Jobs made as the model takes them where the checkout can (their making is then timed
    # with the model), else the whole list up front.
    make = getattr(demand, "queue", demand.generate)
    jobs = make(scenario, rules, rng, price=demand.price_ratio(rules, published))
    t1 = time.perf_counter()
    requests = len(jobs)
    model = YearModel(scenario, rules, rng, jobs)
    del jobs  # the model's alone (a model that lets settled jobs go can free them)
    steps = 0
    step = model.env.step

    def counting_step() -> None:
        nonlocal steps
        steps += 1
        step()

    model.env.step = counting_step  # type: ignore[method-assign]
    result = model.run()
    t2 = time.perf_counter()
    out = build(result)
    for _table in out.tables.values():  # assembled when first read in versions that can: counted here
        pass
    t3 = time.perf_counter()

    bare, per_timeout = bare_simpy(steps)
    shifts = max(1, int(out.summary["shifts"]["total"]))
    queue.put({
        "officers": scenario.officers.count, "requests": requests, "shifts": shifts, "startup_s": startup,
        "demand_s": t1 - t0, "model_s": t2 - t1, "outputs_s": t3 - t2, "total_s": t3 - t0,
        "shifts_per_s": shifts / (t3 - t0), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "simpy_events": steps, "bare_simpy_s": bare, "bare_timeout_us": per_timeout * 1e6,
        "shift_in_timeouts": (t3 - t0) / shifts / per_timeout,
        "model_shift_in_timeouts": (t2 - t1) / shifts / per_timeout, "fill_rate": out.summary["fill_rate"],
        "balanced": out.summary["ledger"]["balanced"],
    })


def bare_simpy(events: int) -> tuple[float, float]:
    """Bare SimPy in this process: seconds for ``events`` plain timeouts in one process, and
    the seconds one timeout costs (timed over at least 300,000 of them, best of three, so
    the unit a shift's cost is counted in is steady even for a small case)."""
    import simpy

    def once(n: int) -> float:
        env = simpy.Environment()

        def ticker():
            for _ in range(n):
                yield env.timeout(1.0)

        env.process(ticker())
        b0 = time.perf_counter()
        env.run()
        return time.perf_counter() - b0

    n = max(events, 300_000)
    per = min(once(n) for _ in range(3)) / n
    return per * events, per


def measure(data: dict, seed: int = 1) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=run_case, args=(data, seed, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def show(label: str, r: dict) -> None:
    print(f"{label:<28} {r['officers']:>6} {r['shifts']:>8} {r['startup_s']:>7.2f} {r['demand_s']:>7.2f} {r['model_s']:>7.2f} "
          f"{r['outputs_s']:>7.2f} {r['total_s']:>7.2f} {r['shifts_per_s']:>9,.0f} {r['peak_mb']:>8.0f} "
          f"{r['simpy_events']:>10,} {r['bare_simpy_s']:>7.2f} {r['shift_in_timeouts']:>6.0f} "
          f"{r['model_shift_in_timeouts']:>6.0f} {r['fill_rate'] or math.nan:>6.3f} {r['balanced']!s:>5}",
          flush=True)


def sweep_speedup(data: dict, replications: int) -> None:
    from offduty_simulations import runner
    from offduty_simulations.scenario import from_dict

    scenario = from_dict(data)
    points = [{}]
    times = {}
    for workers in (1, 2):
        tasks = runner.make_tasks(scenario, points, replications, seed=9)
        t0 = time.perf_counter()
        results = runner.execute(tasks, workers=workers)
        times[workers] = time.perf_counter() - t0
        assert all(r.error is None for r in results)
    print(f"sweep of {replications} replications ({data['name']}): 1 worker {times[1]:.2f} s, "
          f"2 workers {times[2]:.2f} s, speed-up {times[1] / times[2]:.2f}x "
          f"({os.cpu_count()} cores on this machine)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--only", action="append", metavar="CASE",
                        help="run only the cases whose label starts with CASE (repeatable; 'sweep' for the sweep)")
    args = parser.parse_args(argv)
    header = (f"{'case':<28} {'officers':>6} {'shifts':>8} {'start-up':>7} {'demand':>7} {'model':>7} {'outputs':>7} "
              f"{'total s':>7} {'shifts/s':>9} {'peak MB':>8} {'events':>10} {'bare':>7} {'/shift':>6} "
              f"{'model':>6} {'fill':>6} {'bal':>5}")
    print(f"python {sys.version.split()[0]}, one process per case")
    print(header)
    print("-" * len(header))
    figures = {}
    cases = [("mid-size", 300, 15_000, 365), ("mid-size, one day", 300, 15_000, 1), ("large", 2_000, 100_000, 365)]
    if args.quick:
        cases = [("mid-size / 10", 300, 1_500, 365), ("large / 20", 2_000, 5_000, 365)]
    else:
        cases += [("mid, 150 officers", 150, 15_000, 365), ("mid, 600 officers", 600, 15_000, 365),
                  ("mid, half the shifts", 300, 7_500, 365), ("mid, double the shifts", 300, 30_000, 365)]

    def wanted(label: str) -> bool:
        return not args.only or any(label.startswith(prefix) for prefix in args.only)

    for label, officers, shifts, days in cases:
        if wanted(label):
            figures[label] = r = measure(scenario_data(officers, shifts, days))
            show(label, r)
    if "mid-size" in figures and "mid-size, one day" in figures:
        extra = figures["mid-size"]["peak_mb"] - figures["mid-size, one day"]["peak_mb"]
        print(f"mid-size year's peak memory above one day's: {extra:.0f} MB (issue 11's target: at most 80 MB)")
    if wanted("sweep"):
        sweep_speedup(scenario_data(300, 1_500 if args.quick else 4_000), replications=4)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
