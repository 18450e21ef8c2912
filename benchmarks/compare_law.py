"""Does a change to the simulator keep its results in law?  This checkout against another.

    python benchmarks/compare_law.py --base-python /tmp/base/.venv/bin/python --seeds 40

Runs the same scenarios over many seeds with this checkout's installed simulator and with
the one ``--base-python`` imports (another checkout's virtualenv), and prints for each metric
the two means with 95 % confidence intervals and their difference with its own interval
(Welch, normal approximation: seeds are independent replications), and the paired
difference (the same seed gives both versions the same demand, so pairing removes that
variation and is the sharper test).  Draws may differ seed
by seed; the laws (fill rate overall, by category and by lead time, time to fill, revenue,
officer pay, cap hits) should not: a difference whose interval excludes zero is marked
``*`` (Welch) or ``p`` (paired).  With some 30 metrics at 95 %, one or two marks are expected by chance; a real change
shows as several related marks that stay when the seeds change (``--first-seed``).
Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys

#: Scenarios where the rules and the behaviour bind: a tight roster with caps, a sequencing
#: list and a sign-up window (so answers, lapses and awards all count), every kind of change.
SCENARIOS = {
    "tight, caps bind": {
        "name": "law: tight", "agency": {"name": "chandler-az", "days": 91},
        "officers": {"count": 45, "sso_share": 0.2},
        "demand": {"categories": {"security": {"requests_per_week": 30}, "traffic_control": {"requests_per_week": 14}},
                   "school": {"schools": 1}, "events": {"per_year": 12}},
        "fees": {"weekly_cap": 14, "daily_cap": 8},
        "changes": {"cancel_rate": 0.1, "start_change_rate": 0.08, "drop_rate": 0.08, "early_release_rate": 0.1,
                    "no_show_rate": 0.02, "reduce_rate": 0.1},
        "distribution": {"method": "immediate-release",
                         "categories": {"school_safety": {"method": "seniority", "params": {"window_hours": 24}},
                                        "traffic_control": {"method": "sequencing",
                                                            "params": {"response_minutes": 90}}}},
    },
    "roomy, windows": {
        "name": "law: roomy", "agency": {"name": "chandler-az", "days": 91},
        "officers": {"count": 120, "sso_share": 0.15},
        "demand": {"categories": {"security": {"requests_per_week": 40}, "funeral_escort": {"requests_per_week": 6}},
                   "school": {"schools": 2}, "events": {"per_year": 8}},
        "changes": {"cancel_rate": 0.08, "start_change_rate": 0.05, "drop_rate": 0.05, "early_release_rate": 0.08},
        "distribution": {"method": "seniority", "params": {"window_hours": 24}},
    },
}


def metrics(summary: dict) -> dict[str, float]:
    out = {"fill_rate": summary["fill_rate"], "time_to_fill_h": summary["time_to_fill_hours"]["mean"] or 0.0,
           "vendor_billed": float(summary["money"]["vendor_billed"]),
           "officer_pay": float(summary["money"]["officer_pay"]),
           "cap_hits": float(summary["cap_hits"]["total"]),
           "officers_worked": float(summary["officers"]["worked_any"])}
    for key in ("fill_rate_by_category", "fill_rate_by_lead_time"):
        for name, row in summary[key].items():
            out[f"{key.removeprefix('fill_rate_')}.{name}"] = row["fill_rate"]
    return out


def worker(first: int, seeds: int) -> None:
    """Print one JSON line per (scenario, seed) with its metrics (run in either checkout)."""
    from offduty_simulations import runner
    from offduty_simulations.scenario import from_dict

    for label, data in SCENARIOS.items():
        scenario = from_dict(data)
        for seed in range(first, first + seeds):
            out = runner.replicate(scenario, seed)
            print(json.dumps({"scenario": label, "seed": seed, "metrics": metrics(out.summary)}), flush=True)


def collect(python: str, first: int, seeds: int) -> dict[str, list[dict]]:
    proc = subprocess.run([python, __file__, "--worker", "--first-seed", str(first), "--seeds", str(seeds)],
                          capture_output=True, text=True, check=True)
    rows: dict[str, list[dict]] = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        rows.setdefault(row["scenario"], []).append(row["metrics"])
    return rows


def mean_ci(values: list[float]) -> tuple[float, float, float]:
    """Mean, its standard error, and the number of values."""
    n = len(values)
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(n) if n > 1 else math.inf
    return mean, se, n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-python", required=False, help="the other checkout's python (its venv)")
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.first_seed, args.seeds)
        return 0
    if not args.base_python:
        parser.error("--base-python is required (the python of the checkout to compare with)")
    new = collect(sys.executable, args.first_seed, args.seeds)
    old = collect(args.base_python, args.first_seed, args.seeds)
    marks = 0
    for label in SCENARIOS:
        print(f"\n{label}: {args.seeds} seeds from {args.first_seed}")
        print(f"{'metric':<34} {'base mean ± 95%':>24} {'this mean ± 95%':>24} {'difference ± 95%':>24} "
              f"{'paired ± 95%':>24}")
        names = sorted(set().union(*(m.keys() for m in new[label] + old[label])))
        for name in names:
            a = [m[name] for m in old[label] if name in m]
            b = [m[name] for m in new[label] if name in m]
            if len(a) < 2 or len(b) < 2:
                continue
            ma, sa, _ = mean_ci(a)
            mb, sb, _ = mean_ci(b)
            diff, se = mb - ma, math.hypot(sa, sb)
            pairs = [m_new[name] - m_old[name] for m_old, m_new in zip(old[label], new[label])
                     if name in m_old and name in m_new]
            pd, ps, _ = mean_ci(pairs)
            flag = ("*" if se > 0 and abs(diff) > 1.96 * se else "") + ("p" if ps > 0 and abs(pd) > 1.96 * ps else "")
            marks += bool(flag)
            print(f"{name:<34} {ma:>14.4g} ± {1.96 * sa:<7.3g} {mb:>14.4g} ± {1.96 * sb:<7.3g} "
                  f"{diff:>+14.4g} ± {1.96 * se:<7.3g} {pd:>+14.4g} ± {1.96 * ps:<7.3g}{flag}")
    print(f"\n{marks} difference(s) outside their 95 % interval")
    return 0


if __name__ == "__main__":
    sys.exit(main())
