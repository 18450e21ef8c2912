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
    jobs = demand.generate(scenario, rules, rng, price=demand.price_ratio(rules, published))
    model = YearModel(scenario, rules, rng, jobs, progress=progress, registry=registry)
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
                    r = run_task(t)
                    done(r if r.error is None else attrs.evolve(r, error=f"worker failed ({exc}); {r.error}"))
    return [results[(t.point, t.replication)] for t in tasks]


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


def summarise(points: list[dict[str, Any]], results: list[TaskResult], level: float = 0.95):
    """Per grid point and metric: replications, mean, standard deviation and a ``level``
    confidence interval from the t-distribution (tidy: one row per point and metric).
    ``half`` is the interval's half-width; ``ci_low`` and ``ci_high`` are ``mean -+ half``
    clipped to the metric's possible range (:data:`BOUNDS`)."""
    import pandas as pd
    from scipy import stats

    rows = []
    for i, point in enumerate(points):
        got = [r.metrics for r in results if r.point == i and r.metrics is not None]
        failed = sum(1 for r in results if r.point == i and r.metrics is None)
        for name, _ in METRICS:
            values = np.array([m[name] for m in got], dtype=float)
            values = values[~np.isnan(values)]
            n = len(values)
            mean = float(values.mean()) if n else float("nan")
            sd = float(values.std(ddof=1)) if n > 1 else float("nan")
            half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else float("nan")
            lo, hi = BOUNDS.get(name, (-math.inf, math.inf))
            rows.append({**{k: point[k] for k in point}, "metric": name, "n": n, "failed": failed, "mean": mean,
                         "sd": sd, "half": half, "ci_low": max(lo, mean - half) if half == half else half,
                         "ci_high": min(hi, mean + half) if half == half else half})
    return pd.DataFrame(rows)


def write_replication(scenario_data: dict, base_dir: str, seed: int | np.random.SeedSequence, out: str,
                      force: bool = False) -> str:
    """Simulate and write the Parquet files and summary to the folder ``out``, all at once
    (results already there are replaced only with ``force``).  A picklable, pure job for any
    executor: the files depend only on the arguments."""
    replicate(from_dict(scenario_data, base_dir=base_dir), seed).write(out, force=force)
    return out
