"""``offduty simulate``, ``offduty sweep``, ``offduty calibrate`` and ``offduty scenario``
(loaded by :func:`offduty_core.cli._load_extensions`)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from offduty_core.cli import subcommand
from offduty_core.errors import InputError, OffdutyError


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


def packaged_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the package, by name (the file name without ``.toml``)."""
    from importlib.resources import files

    folder = files("offduty_simulations") / "scenarios"
    return {entry.name.removesuffix(".toml"): Path(str(entry))
            for entry in folder.iterdir() if entry.name.endswith(".toml")}


def resolve_scenario(ref: str, field: str = "--scenario") -> Path:
    """A scenario given as a path, or by the name of a packaged one (``chandler-az``).

    A file that exists wins, so a scenario of your own is never shadowed by a packaged one;
    anything that looks like a path (a folder separator or a ``.toml`` suffix) stays a path, so
    a mistyped file name is reported as the file it names."""
    path = Path(ref)
    if path.exists() or path.suffix == ".toml" or len(path.parts) > 1:
        return path
    packaged = packaged_scenarios()
    if ref in packaged:
        return packaged[ref]
    import difflib

    close = difflib.get_close_matches(ref, list(packaged), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(field, ref, f"give a scenario TOML file or a packaged scenario's name{hint}: "
                                 f"{', '.join(sorted(packaged))}")


def _load(ref: str, field: str = "--scenario"):
    from .scenario import load

    return load(resolve_scenario(ref, field))


#: What ``sweep --out`` writes, by the file's extension.
TABLE_FORMATS = (".csv", ".parquet", ".xlsx")


def _check_table_out(out: str) -> Path:
    """Refuse an ``--out`` the sweep could not write before any replication runs."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InputError("--out", out, f"name a {', '.join(TABLE_FORMATS[:-1])} or {TABLE_FORMATS[-1]} file")
    if not path.parent.is_dir():
        raise InputError("--out", out, f"the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise InputError("--out", out, "is a folder; name a file in it")
    if suffix == ".xlsx":
        _require("xlsxwriter", "xlsx", "sweep --out FILE.xlsx", or_else=", or name a .csv or .parquet file")
    return path


def _require(module: str, extra: str, what: str, or_else: str = "") -> None:
    """Refuse, before any work, a command whose optional dependency is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise OffdutyError(f"{what} needs {module}, which is not installed: pip install 'offduty[{extra}]'"
                           f"{or_else}")


def write_table(table, path: Path) -> None:
    """Write ``table`` in the format ``path``'s extension names, whole or not at all (a
    temporary file beside it, moved into place), and byte-identical for identical tables."""
    from .writing import atomic_file

    suffix = path.suffix.lower()
    with atomic_file(path) as tmp:
        if suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        elif suffix == ".xlsx":
            import datetime

            import pandas as pd

            # In memory, XlsxWriter stamps every part of the zip 1980-01-01; a fixed creation
            # date (instead of now) makes the whole file depend on the table only.
            with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs={"options": {"in_memory": True}}) as xl:
                xl.book.set_properties({"created": datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)})
                table.to_excel(xl, sheet_name="sweep", index=False)
        else:
            table.to_csv(tmp, index=False)


_SCENARIO_HELP = ("a packaged scenario by name (`offduty scenario --list`: chandler-az, grantsville-ut, ...) or "
                  "a scenario TOML file")


@subcommand("simulate", "simulate a year of one scenario and write Parquet files and summary.json")
def configure_simulate(p: argparse.ArgumentParser):
    p.add_argument("--scenario", required=True, metavar="NAME|FILE", help=_SCENARIO_HELP)
    p.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same files)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for shifts/officers/ledger.parquet, "
                                                               "summary.json and invoices/payroll/city.csv, written "
                                                               "all at once")
    p.add_argument("--force", action="store_true", help="replace the results already in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace, registry) -> int:
        from . import deliverables, demand
        from .model import YearModel, scenario_rules
        from .outputs import build, provenance_of
        from .writing import OutFolder

        _seed(args.seed)
        scenario = _load(args.scenario)
        published = registry.rules(scenario.agency.name)
        # Claimed before the year is simulated: an --out that cannot be written, or that holds
        # results without --force, is refused now, not after the work.
        with OutFolder(args.out, force=args.force) as folder:
            rules = scenario_rules(scenario, published)
            rng = demand.streams(args.seed)
            jobs = demand.queue(scenario, rules, rng, price=demand.price_ratio(rules, published))
            bar = _Progress(len(jobs), "simulate", args.quiet)
            model = YearModel(scenario, rules, rng, jobs, progress=bar)
            del jobs  # made as the model takes them, each let go once it has settled
            try:
                result = model.run()
            finally:
                bar.close()
            # The board, its caches and the look planner are done with: their memory is reused
            # by the tables and CSVs (a large year's peak 562 -> 537 MB).
            del model
            # The command without where it wrote (--out, --force, --quiet): the same command
            # writes the same bytes into any folder.
            command = ["offduty", "simulate", "--scenario", args.scenario, "--seed", str(args.seed)]
            out = build(result, provenance_of(scenario, args.seed, command))
            out.write_files(folder.tmp)
            deliverables.write(folder.tmp, out.tables["ledger"], out.tables["shifts"], rules.terms)
            folder.commit()
        s = out.summary
        # No shift due (no demand, or every one cancelled or refused): no fill rate.
        fill = "n/a (no shift due)" if s["fill_rate"] is None else f"{s['fill_rate']:.3f}"
        print(f"{s['agency']}: {s['requests']['received']} requests, {s['shifts']['total']} shifts, "
              f"fill rate {fill}, vendor billed {s['money']['vendor_billed']}, "
              f"operator net {s['money']['operator_net']}, ledger balanced {s['ledger']['balanced']}")
        print(f"wrote {args.out}/shifts.parquet, officers.parquet, ledger.parquet, summary.json, "
              f"{', '.join(deliverables.FILES)}")
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

    p.add_argument("--scenario", required=True, metavar="NAME|FILE", help=_SCENARIO_HELP)
    for axis in AXES:
        p.add_argument(f"--{axis.replace('_', '-')}", dest=axis, metavar="V1,V2,..",
                       help=f"values of {AXES[axis]}")
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2",
                   help="any dotted scenario key and its values (repeatable)")
    p.add_argument("--replications", "-n", type=int, default=10, help="replications per grid point (default 10)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed; each replication gets its own stream spawned from it (default 0)")
    p.add_argument("--workers", type=int, default=0, help="local processes (0: one per core; 1: in this process)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler at ADDRESS, or 'local' for a "
                                                     "LocalCluster")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--long", action="store_true",
                   help="print and write the tidy long table (one row per grid point and metric, with sd, "
                        "interval ends and paired differences) instead of the wide one (one row per metric)")
    p.add_argument("--out", metavar="FILE", help="also write the table to FILE, in the format its extension names: "
                                                 ".csv, .parquet or .xlsx (.xlsx needs the xlsx extra)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace, registry) -> int:
        from .runner import (execute, format_cell, grid_points, make_tasks, point_label, summarise, varying,
                             wide)
        from .writing import check_file

        _require("scipy", "sweep", "sweep (its t confidence intervals)")
        if args.dask:
            _require("distributed", "dask", "sweep --dask")
        out = _check_table_out(args.out) if args.out else None
        if out is not None:
            check_file(out, force=args.force)
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
        shown = table if args.long else wide(table, points)
        if out is not None:
            write_table(shown, out)
        import pandas as pd

        print(f"{args.replications} replications per point, the same seeds at every point (common random "
              f"numbers); ± is the half-width of a {args.level:.0%} t interval"
              + (f"; Δ is the paired difference from the baseline {point_label(points[0], varying(points))}, "
                 f"replication by "
                 f"replication" if len(points) > 1 else ""))
        with pd.option_context("display.max_rows", 500, "display.width", 250, "display.max_columns", 100):
            if args.long:
                print(table.to_string(index=False, float_format=lambda v: f"{v:,.4f}"))
            else:
                text = shown.copy()
                for column in text.columns[2:]:
                    text[column] = [format_cell(m, v) for m, v in zip(text["metric"], text[column])]
                print(text.to_string(index=False))
        for r in failures:
            print(f"offduty: replication {r.replication} of point {points[r.point]} failed twice: "
                  f"{' '.join(str(r.error).split())[:500]}", file=sys.stderr)
        return 1 if failures else 0

    return run


@subcommand("calibrate", "fit a scenario's demand from an agency's past job log (CSV)")
def configure_calibrate(p: argparse.ArgumentParser):
    p.add_argument("history", metavar="HISTORY.csv",
                   help="past jobs, one request a row (columns request_id, vendor, category, received_at, start, "
                        "end, officers; optional agency, vehicle, cancelled_at, filled, badges)")
    p.add_argument("--out", required=True, metavar="scenario.toml", help="where to write the fitted scenario")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--agency", help="agency name (default: the history's agency column)")
    p.add_argument("--officers", type=int, default=None,
                   help="roster size to write (default: the distinct officers in the history's badges column; "
                        "without one, the scenario's default roster, and the report says so)")
    p.add_argument("--holdout-from", metavar="DATE",
                   help="also check the fit: fit on the requests starting before DATE (YYYY-MM-DD), simulate the "
                        "rest of the history's span and print predicted against actual requests, lead time and "
                        "fill (fill needs a filled column), with prediction intervals; the fitted file is still "
                        "the fit of the whole history")
    p.add_argument("--replications", "-n", type=int, default=5,
                   help="simulated periods for --holdout-from (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed for --holdout-from (default 0)")

    def run(args: argparse.Namespace, registry) -> int:
        from .calibrate import calibrate_file, holdout, read_history
        from .writing import check_file

        if args.officers is not None and args.officers < 1:
            raise InputError("--officers", args.officers, "must be >= 1")
        if args.holdout_from is not None:
            _require("scipy", "sweep", "calibrate --holdout-from (its prediction intervals)")
            if args.replications < 2:
                raise InputError("--replications", args.replications, "must be >= 2 for an interval")
        check_file(args.out, force=args.force)
        fit = calibrate_file(args.history, args.out, agency=args.agency, officers=args.officers)
        print(fit.report())
        print(f"wrote {args.out}")
        if args.holdout_from is not None:
            check = holdout(read_history(args.history), args.holdout_from, agency=args.agency or fit.agency,
                            officers=args.officers, replications=args.replications, seed=args.seed)
            print(check.report())
        return 0

    return run


@subcommand("scenario", "check a scenario, list the packaged ones, or print every scenario key with its default")
def configure_scenario(p: argparse.ArgumentParser):
    p.add_argument("file", nargs="?", metavar="NAME|FILE",
                   help="scenario to validate, packaged (by name) or a TOML file (omit to list every key)")
    p.add_argument("--list", action="store_true", help="list the packaged scenarios, usable by name as --scenario")

    def run(args: argparse.Namespace, registry) -> int:
        from .scenario import describe

        if args.list:
            if args.file:
                raise InputError("--list", args.file, "--list takes no scenario")
            from .scenario import load

            packaged = sorted(packaged_scenarios().items())
            width = max(len(name) for name, _ in packaged)
            for name, path in packaged:
                print(f"{name.ljust(width)}  {load(path).description}")
            return 0
        if args.file:
            sc = _load(args.file, "FILE")
            print(f"{args.file}: ok ({sc.name}, agency {sc.agency.name}, {sc.agency.days} days)")
            return 0
        for key, default, doc in describe():
            print(f"{key} = {default}\n    {doc}")
        return 0

    return run


@subcommand("report", "build report.html (charts, self-contained) and forecast.xlsx from a simulate output folder")
def configure_report(p: argparse.ArgumentParser):
    p.add_argument("out_dir", metavar="OUT_DIR", help="a folder written by `offduty simulate --out`; the report and "
                                                      "workbook are written into it")

    def run(args: argparse.Namespace, registry) -> int:
        for module in ("matplotlib", "xlsxwriter"):
            _require(module, "report", "report")
        from .report import build

        paths = build(args.out_dir)
        print(f"wrote {', '.join(str(p) for p in paths)}")
        return 0

    return run
