"""Replications and sweeps (the *Runner* of Param -> Model -> Runner -> DataFrame).

:func:`replicate` is the one pure replication function: (scenario, seed) -> frames and
summary.  Everything random in it comes from the seed through
``numpy.random.SeedSequence.spawn`` (:func:`offduty_simulations.demand.streams`), so a
replication gives the same result in this process, in a process pool or on a Dask worker.
"""

from __future__ import annotations

import itertools
import math
import os
from typing import Any, Callable, Mapping, Sequence

import attrs
import numpy as np

from offduty_core import default_registry

from . import demand
from .model import YearModel, scenario_rules
from .outputs import Outputs, build, provenance_of
from .scenario import Scenario, from_dict, to_dict


def replicate(scenario: Scenario, seed: np.random.SeedSequence | int,
              progress: Callable[[int], None] | None = None, registry: Any = None) -> Outputs:
    """Simulate one year of ``scenario`` with ``seed`` and return its frames and summary.

    ``registry`` (an :class:`offduty_core.Registry`, default: the installed plugins) is where
    the agency, the distribution methods and any back-up agencies come from: pass
    ``Registry(get_plugin_manager(extra=[my_plugin]))`` to simulate an agency plugin that is
    not installed (validate the scenario against the same registry:
    ``from_dict(data, registry=registry)``)."""
    if registry is None:
        registry = default_registry()
    published = registry.rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    rng = demand.streams(seed)
    # Jobs made as the model takes them, each let go once it has settled.
    model = YearModel(scenario, rules, rng, demand.queue(scenario, rules, rng,
                                                         price=demand.price_ratio(rules, published)),
                      progress=progress, registry=registry)
    return build(model.run(), provenance_of(scenario, seed))


# --- replication metrics -----------------------------------------------------------------------

#: Scalar metrics a sweep reports for every replication (dotted paths into the summary).
METRICS: tuple[tuple[str, str], ...] = (
    ("fill_rate", "fill_rate"),
    ("time_to_fill_median_h", "time_to_fill_hours.median"),
    ("requests", "requests.received"),
    ("shifts_due", "shifts.due"),
    ("vendor_billed", "money.vendor_billed"),
    ("officer_pay", "money.officer_pay"),
    ("city", "money.city"),
    ("admin_fee", "money.admin_fee"),
    ("operator_net", "money.operator_net"),
    ("operator_net_after_bad_debt", "money.operator_net_after_bad_debt"),
    ("cancellation_billed", "money.cancellation_billed"),
    ("absorbed_officer_pay", "money.absorbed_officer_pay"),
    ("gini_hours", "officers.gini_hours"),
    ("cap_hits", "cap_hits.total"),
    ("payroll_cash_ahead", "cash.payroll_ahead_of_vendor_payments"),
)


#: The range a metric cannot leave (its confidence interval is clipped to it: a t interval
#: around a fill rate of 99 % from two replications would otherwise reach past 100 %).
BOUNDS: dict[str, tuple[float, float]] = {
    "fill_rate": (0.0, 1.0), "gini_hours": (0.0, 1.0),
    **{name: (0.0, math.inf) for name in ("time_to_fill_median_h", "requests", "shifts_due", "vendor_billed",
                                          "officer_pay", "city", "admin_fee", "cancellation_billed",
                                          "absorbed_officer_pay", "cap_hits", "payroll_cash_ahead")},
}


def metrics(summary: dict) -> dict[str, float]:
    """The scalar metrics of one replication's summary (money as float dollars)."""
    out = {}
    for name, path in METRICS:
        value: Any = summary
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[name] = float(value) if value is not None else float("nan")
    return out


# --- sweeps -----------------------------------------------------------------------------------

#: Short names for the grid axes most sweeps use (``--vary`` takes any dotted key too).
from .scenario import SWEEP_AXES as AXES  # noqa: E402  (kept here for callers of runner.AXES)


@attrs.frozen(kw_only=True)
class Task:
    """One replication of one grid point: everything a worker needs, picklable."""

    point: int
    replication: int
    scenario: dict
    base_dir: str
    overrides: tuple[tuple[str, Any], ...]
    seed: np.random.SeedSequence = attrs.field(eq=False)


@attrs.frozen(kw_only=True)
class TaskResult:
    point: int
    replication: int
    metrics: dict | None
    error: str | None
    attempts: int


def run_task(task: Task) -> TaskResult:
    """Run one replication; a failure is retried once, then returned as an error (never
    dropped).  Pure: the result depends only on the task."""
    error = None
    for attempt in (1, 2):
        try:
            scenario = from_dict(task.scenario, base_dir=task.base_dir).with_overrides(dict(task.overrides))
            out = replicate(scenario, task.seed)
            return TaskResult(point=task.point, replication=task.replication, metrics=metrics(out.summary),
                              error=None, attempts=attempt)
        except Exception as exc:  # noqa: BLE001 - reported, not swallowed
            error = f"{type(exc).__name__}: {exc}"
    return TaskResult(point=task.point, replication=task.replication, metrics=None, error=error, attempts=2)


def grid_points(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of ``{dotted key: values}``, in a stable order."""
    keys = list(axes)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(list(axes[k]) for k in keys))]


def make_tasks(scenario: Scenario, points: list[dict[str, Any]], replications: int, seed: int) -> list[Task]:
    """Replication ``r`` of every point uses the same seed child (common random numbers: the
    points differ by their parameters, not by their luck)."""
    children = np.random.SeedSequence(seed).spawn(replications)
    data = to_dict(scenario)
    for point in points:  # validate every point before running any
        scenario.with_overrides(point)
    return [Task(point=i, replication=r, scenario=data, base_dir=scenario.base_dir,
                 overrides=tuple(sorted(point.items())), seed=children[r])
            for i, point in enumerate(points) for r in range(replications)]


def execute(tasks: list[Task], workers: int = 0, dask: str | None = None,
            progress: Callable[[int], None] | None = None) -> list[TaskResult]:
    """Run ``tasks`` on a local process pool (``workers``: 0 = one per core, 1 = in this
    process) or on Dask (``dask``: a scheduler address, or ``"local"`` for a LocalCluster);
    results in task order whatever ran them."""
    results: dict[tuple[int, int], TaskResult] = {}

    def done(r: TaskResult) -> None:
        results[(r.point, r.replication)] = r
        if progress is not None:
            progress(1)

    if dask:
        _execute_dask(tasks, dask, workers, done)
    elif workers == 1:
        for t in tasks:
            done(run_task(t))
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        n = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("fork" if os.name == "posix" else "spawn")) as pool:
            futures = {pool.submit(run_task, t): t for t in tasks}
            for f in as_completed(futures):
                t = futures[f]
                try:
                    done(f.result())
                except Exception as exc:  # a worker died: retry once in this process
                    _moved(t, exc)
                    r = run_task(t)
                    done(r if r.error is None else attrs.evolve(r, error=f"worker failed ({exc}); {r.error}"))
    return [results[(t.point, t.replication)] for t in tasks]


def _moved(task: Task, exc: BaseException) -> None:
    """Say, in one line, that a replication runs again here because its worker was lost (a
    sweep that quietly slows to one process at a time looks hung)."""
    import sys

    why = " ".join(str(exc).split())[:200] or type(exc).__name__
    print(f"offduty: sweep: replication {task.replication} of point {task.point} moved to the main process "
          f"after its worker was lost ({why})", file=sys.stderr, flush=True)


def _execute_dask(tasks: list[Task], address: str, workers: int, done: Callable[[TaskResult], None]) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        futures = client.map(run_task, tasks, pure=False, retries=1)
        index = {f.key: t for f, t in zip(futures, tasks)}
        for f in as_completed(futures):
            t = index[f.key]
            try:
                done(f.result())
            except Exception as exc:  # noqa: BLE001 - the worker itself failed twice: report it
                done(TaskResult(point=t.point, replication=t.replication, metrics=None,
                                error=f"dask worker failed: {type(exc).__name__}: {exc}", attempts=2))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


#: Metrics that count things: printed as whole numbers where they are whole.
COUNTS = frozenset({"requests", "shifts_due", "cap_hits"})


def _interval(values: np.ndarray, level: float) -> tuple[int, float, float, float]:
    """(n, mean, sd, half-width of the ``level`` t interval) of the finite ``values``."""
    from scipy import stats

    values = values[~np.isnan(values)]
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    sd = float(values.std(ddof=1)) if n > 1 else float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else float("nan")
    return n, mean, sd, half


def summarise(points: list[dict[str, Any]], results: list[TaskResult], level: float = 0.95, baseline: int = 0):
    """Per grid point and metric: replications, mean, standard deviation and a ``level``
    confidence interval from the t-distribution (tidy: one row per point and metric).
    ``half`` is the interval's half-width; ``ci_low`` and ``ci_high`` are ``mean -+ half``
    clipped to the metric's possible range (:data:`BOUNDS`).

    Every point runs on the same replication seeds (common random numbers, see
    :func:`make_tasks`), so a point is also compared with the ``baseline`` point replication
    by replication: ``diff`` is the mean of the paired differences (point minus baseline),
    ``diff_half`` the half-width of its t interval and ``diff_low``/``diff_high`` its ends;
    ``pairs`` counts the replications that both points finished.  A paired interval is
    usually much narrower than the two points' own intervals suggest, because both points
    saw the same busy and quiet periods."""
    import pandas as pd

    by_point: dict[int, dict[int, dict]] = {}
    failed: dict[int, int] = {}
    for r in results:
        if r.metrics is None:
            failed[r.point] = failed.get(r.point, 0) + 1
        else:
            by_point.setdefault(r.point, {})[r.replication] = r.metrics
    base = by_point.get(baseline, {})
    rows = []
    for i, point in enumerate(points):
        got = by_point.get(i, {})
        reps = sorted(got)
        paired = [r for r in reps if r in base]
        for name, _ in METRICS:
            n, mean, sd, half = _interval(np.array([got[r][name] for r in reps], dtype=float), level)
            lo, hi = BOUNDS.get(name, (-math.inf, math.inf))
            diffs = np.array([got[r][name] - base[r][name] for r in paired], dtype=float)
            pairs, diff, _, diff_half = _interval(diffs, level)
            rows.append({**{k: point[k] for k in point}, "metric": name, "n": n, "failed": failed.get(i, 0),
                         "mean": mean, "sd": sd, "half": half,
                         "ci_low": max(lo, mean - half) if half == half else half,
                         "ci_high": min(hi, mean + half) if half == half else half,
                         "pairs": pairs, "diff": diff, "diff_half": diff_half,
                         "diff_low": diff - diff_half, "diff_high": diff + diff_half})
    return pd.DataFrame(rows)


def point_label(point: Mapping[str, Any], keys: Sequence[str] | None = None) -> str:
    """'fees.admin_fee_pct=8, fees.weekly_cap=40' (or 'scenario' for the scenario as it is);
    ``keys``: only these axes (those that vary)."""
    return ", ".join(f"{k}={v}" for k, v in point.items() if keys is None or k in keys) or "scenario"


def varying(points: list[dict[str, Any]]) -> list[str]:
    """The grid's axes that take more than one value."""
    return [k for k in (points[0] if points else {}) if len({repr(p[k]) for p in points}) > 1]


def wide(table, points: list[dict[str, Any]], baseline: int = 0):
    """The sweep as people read it: one row per metric, and for each grid point its mean and
    interval half-width and, beside every point but the baseline, the paired difference from
    the baseline and its half-width (columns ``<point> mean``, ``<point> ±``,
    ``<point> Δ``, ``<point> Δ±``)."""
    import pandas as pd

    order = [name for name, _ in METRICS]
    per_point = len(order)
    keys = varying(points)
    out = pd.DataFrame({"metric": order})
    for i, point in enumerate(points):
        block = table.iloc[i * per_point:(i + 1) * per_point].reset_index(drop=True)
        label = point_label(point, keys) + (" (baseline)" if i == baseline and len(points) > 1 else "")
        out[f"{label} mean"] = block["mean"]
        out[f"{label} ±"] = block["half"]
        if i != baseline:
            out[f"{label} Δ"] = block["diff"]
            out[f"{label} Δ±"] = block["diff_half"]
    out.insert(1, "n", [int(table.iloc[j::per_point]["n"].min()) for j in range(per_point)])
    return out


def format_cell(metric: str, value: float) -> str:
    """A number as the sweep prints it: counts whole where they are whole, rates to four
    places, everything else to two, with thousands separators."""
    if value != value:
        return "-"
    if metric in COUNTS and float(value).is_integer():
        return f"{int(value):,}"
    if metric in ("fill_rate", "gini_hours"):
        return f"{value:.4f}"
    return f"{value:,.2f}"


def write_replication(scenario_data: dict, base_dir: str, seed: int | np.random.SeedSequence, out: str,
                      force: bool = False) -> str:
    """Simulate and write the Parquet files and summary to the folder ``out``, all at once
    (results already there are replaced only with ``force``).  A picklable, pure job for any
    executor: the files depend only on the arguments."""
    replicate(from_dict(scenario_data, base_dir=base_dir), seed).write(out, force=force)
    return out
