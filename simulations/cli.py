"""``offduty simulate``, ``offduty sweep``, ``offduty calibrate`` and ``offduty scenario``
(loaded by :func:`offduty_core.cli._load_extensions`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from offduty_core.cli import subcommand
from offduty_core.errors import InputError


class _Progress:
    """A tqdm bar on a terminal; nothing when stderr is not a terminal (or ``--quiet``)."""

    def __init__(self, total: int, desc: str, quiet: bool = False):
        self.bar = None
        if not quiet and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                return
            self.bar = tqdm(total=total, desc=desc, unit="req" if desc == "simulate" else "rep", leave=False)

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


#: The most replications, local workers and replications in all a sweep may ask for (each
#: replication simulates a year; each worker is a process).
MAX_REPLICATIONS, MAX_WORKERS, MAX_TASKS = 10_000, 256, 100_000


def _seed(seed: int) -> int:
    if not 0 <= seed < 2 ** 128:
        raise InputError("--seed", seed, "must be a whole number from 0 (SeedSequence takes no negative seed)")
    return seed


def _load(path: str):
    from .scenario import load

    return load(path)


@subcommand("simulate", "simulate a year of one scenario and write Parquet frames and summary.json")
def configure_simulate(p: argparse.ArgumentParser):
    p.add_argument("--scenario", required=True, metavar="FILE", help="scenario TOML (see simulations/scenarios/)")
    p.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same files)")
    p.add_argument("--out", required=True, metavar="DIR", help="directory for shifts/officers/ledger.parquet and "
                                                               "summary.json")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace, registry) -> int:
        from . import demand
        from .model import YearModel, scenario_rules
        from .outputs import build

        _seed(args.seed)
        scenario = _load(args.scenario)
        published = registry.rules(scenario.agency.name)
        rules = scenario_rules(scenario, published)
        rng = demand.streams(args.seed)
        jobs = demand.generate(scenario, rules, rng, price=demand.price_ratio(rules, published))
        bar = _Progress(len(jobs), "simulate", args.quiet)
        try:
            result = YearModel(scenario, rules, rng, jobs, progress=bar).run()
        finally:
            bar.close()
        out = build(result)
        out.write(args.out)
        s = out.summary
        # No shift due (no demand, or every one cancelled or refused): no fill rate.
        fill = "n/a (no shift due)" if s["fill_rate"] is None else f"{s['fill_rate']:.3f}"
        print(f"{s['agency']}: {s['requests']['received']} requests, {s['shifts']['total']} shifts, "
              f"fill rate {fill}, vendor billed {s['money']['vendor_billed']}, "
              f"operator net {s['money']['operator_net']}, ledger balanced {s['ledger']['balanced']}")
        print(f"wrote {args.out}/shifts.parquet, officers.parquet, ledger.parquet, summary.json")
        return 0

    return run


def _values(text: str) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part.lower() in ("none", "null", ""):
            out.append(None)
            continue
        if part.lower() in ("true", "false"):
            out.append(part.lower() == "true")
            continue
        try:
            out.append(int(part))
        except ValueError:
            try:
                out.append(float(part))
            except ValueError:
                out.append(part)
    return out


@subcommand("sweep", "run a grid of scenario variants x replications; means with t confidence intervals")
def configure_sweep(p: argparse.ArgumentParser):
    from .scenario import SWEEP_AXES as AXES

    p.add_argument("--scenario", required=True, metavar="FILE")
    for axis in AXES:
        p.add_argument(f"--{axis.replace('_', '-')}", dest=axis, metavar="V1,V2,..",
                       help=f"values of {AXES[axis]}")
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2",
                   help="any dotted scenario key and its values (repeatable)")
    p.add_argument("--replications", "-n", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="local processes (0: one per core; 1: in this process)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler at ADDRESS, or 'local' for a "
                                                     "LocalCluster")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--out", metavar="FILE", help="write the table (.csv or .parquet)")
    p.add_argument("--quiet", action="store_true")

    def run(args: argparse.Namespace, registry) -> int:
        from .runner import execute, grid_points, make_tasks, summarise

        scenario = _load(args.scenario)
        axes: dict[str, list] = {}
        for axis, key in AXES.items():
            value = getattr(args, axis)
            if value:
                axes[key] = _values(value)
        for item in args.vary:
            key, sep, values = item.partition("=")
            if not sep:
                raise InputError("--vary", item, "give KEY=V1,V2 (e.g. fees.admin_fee_pct=8,11,14)")
            axes[key.strip()] = _values(values)
        if not 1 <= args.replications <= MAX_REPLICATIONS:
            raise InputError("--replications", args.replications, f"must be from 1 to {MAX_REPLICATIONS:,}")
        if not 0 <= args.workers <= MAX_WORKERS:
            raise InputError("--workers", args.workers, f"must be from 0 (one per core) to {MAX_WORKERS}")
        if not 0 < args.level < 1:
            raise InputError("--level", args.level, "give a confidence level between 0 and 1, e.g. 0.95")
        _seed(args.seed)
        size = math.prod(len(values) for values in axes.values())
        if size * args.replications > MAX_TASKS:
            raise InputError("--replications", args.replications,
                             f"{size:,} grid points x {args.replications:,} replications is more than "
                             f"{MAX_TASKS:,} replications in all")
        points = grid_points(axes) if axes else [{}]
        tasks = make_tasks(scenario, points, args.replications, args.seed)
        bar = _Progress(len(tasks), "sweep", args.quiet)
        try:
            results = execute(tasks, workers=args.workers, dask=args.dask, progress=bar)
        finally:
            bar.close()
        table = summarise(points, results, args.level)
        failures = [r for r in results if r.error is not None]
        if args.out:
            path = Path(args.out)
            table.to_parquet(path, index=False) if path.suffix == ".parquet" else table.to_csv(path, index=False)
        import pandas as pd

        with pd.option_context("display.max_rows", 500, "display.width", 200):
            print(table.to_string(index=False, float_format=lambda v: f"{v:,.4f}"))
        for r in failures:
            print(f"offduty: replication {r.replication} of point {points[r.point]} failed twice: "
                  f"{' '.join(str(r.error).split())[:500]}", file=sys.stderr)
        return 1 if failures else 0

    return run


@subcommand("calibrate", "fit a scenario's demand from an agency's past job log (CSV)")
def configure_calibrate(p: argparse.ArgumentParser):
    p.add_argument("history", metavar="HISTORY.csv", help="past jobs (columns: see simulations/data/README.md)")
    p.add_argument("--out", required=True, metavar="scenario.toml")
    p.add_argument("--agency", help="agency name (default: the history's agency column)")
    p.add_argument("--officers", type=int, default=None, help="roster size to write (default: estimated)")

    def run(args: argparse.Namespace, registry) -> int:
        from .calibrate import calibrate_file

        fit = calibrate_file(args.history, args.out, agency=args.agency, officers=args.officers)
        print(fit.report())
        print(f"wrote {args.out}")
        return 0

    return run


@subcommand("scenario", "check a scenario file, or print every scenario key with its default")
def configure_scenario(p: argparse.ArgumentParser):
    p.add_argument("file", nargs="?", metavar="FILE", help="scenario to validate (omit to list every key)")

    def run(args: argparse.Namespace, registry) -> int:
        from .scenario import describe

        if args.file:
            sc = _load(args.file)
            print(f"{args.file}: ok ({sc.name}, agency {sc.agency.name}, {sc.agency.days} days)")
            return 0
        for key, default, doc in describe():
            print(f"{key} = {default}\n    {doc}")
        return 0

    return run
