"""``offduty simulate``, ``offduty sweep``, ``offduty calibrate`` and ``offduty scenario``
(loaded by :func:`offduty_core.cli._load_extensions`)."""

from __future__ import annotations

import argparse
import json
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


def _load(path: str):
    from .scenario import load

    return load(path)


@subcommand("simulate", "simulate a year of one scenario and write Parquet files and summary.json")
def configure_simulate(p: argparse.ArgumentParser):
    p.add_argument("--scenario", required=True, metavar="FILE", help="scenario TOML (see simulations/scenarios/)")
    p.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same files)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for shifts/officers/ledger.parquet and "
                                                               "summary.json, written all at once (docs/outputs.md)")
    p.add_argument("--force", action="store_true", help="replace the results already in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace, registry) -> int:
        from . import demand
        from .model import YearModel, scenario_rules
        from .outputs import build, provenance_of
        from .writing import OutFolder

        scenario = _load(args.scenario)
        published = registry.rules(scenario.agency.name)
        # Claimed before the year is simulated: an --out that cannot be written, or that holds
        # results without --force, is refused now, not after the work.
        with OutFolder(args.out, force=args.force) as folder:
            rules = scenario_rules(scenario, published)
            rng = demand.streams(args.seed)
            jobs = demand.generate(scenario, rules, rng, price=demand.price_ratio(rules, published))
            bar = _Progress(len(jobs), "simulate", args.quiet)
            try:
                result = YearModel(scenario, rules, rng, jobs, progress=bar).run()
            finally:
                bar.close()
            # The command without where it wrote (--out, --force, --quiet): the same command
            # writes the same bytes into any folder.
            command = ["offduty", "simulate", "--scenario", args.scenario, "--seed", str(args.seed)]
            out = build(result, provenance_of(scenario, args.seed, command))
            out.write_files(folder.tmp)
            folder.commit()
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
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--quiet", action="store_true")

    def run(args: argparse.Namespace, registry) -> int:
        from .runner import execute, grid_points, make_tasks, summarise
        from .writing import atomic_file, check_file

        scenario = _load(args.scenario)
        if args.out:  # refused now, not after the replications
            check_file(args.out, force=args.force)
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
        if args.replications < 1:
            raise InputError("--replications", args.replications, "must be >= 1")
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
            with atomic_file(path) as tmp:
                table.to_parquet(tmp, index=False) if path.suffix == ".parquet" else table.to_csv(tmp, index=False)
        import pandas as pd

        with pd.option_context("display.max_rows", 500, "display.width", 200):
            print(table.to_string(index=False, float_format=lambda v: f"{v:,.4f}"))
        for r in failures:
            print(f"offduty: replication {r.replication} of point {points[r.point]} failed twice: {r.error}",
                  file=sys.stderr)
        return 1 if failures else 0

    return run


@subcommand("calibrate", "fit a scenario's demand from an agency's past job log (CSV)")
def configure_calibrate(p: argparse.ArgumentParser):
    p.add_argument("history", metavar="HISTORY.csv", help="past jobs (columns: see simulations/data/README.md)")
    p.add_argument("--out", required=True, metavar="scenario.toml")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--agency", help="agency name (default: the history's agency column)")
    p.add_argument("--officers", type=int, default=None, help="roster size to write (default: estimated)")

    def run(args: argparse.Namespace, registry) -> int:
        from .calibrate import calibrate_file
        from .writing import atomic_file, check_file

        check_file(args.out, force=args.force)
        with atomic_file(args.out) as tmp:
            fit = calibrate_file(args.history, tmp, agency=args.agency, officers=args.officers)
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
