"""The same seed gives the same files, in this process, in a process pool and on Dask."""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from offduty_simulations import runner
from offduty_simulations.scenario import from_dict, to_dict
from sim_helpers import small

FILES = ("shifts.parquet", "officers.parquet", "ledger.parquet", "summary.json")


def digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def data():
    return to_dict(from_dict(small(days=14, officers=30)))


def test_same_seed_same_files_serial_pool_and_dask(tmp_path, data):
    seed = np.random.SeedSequence(77).spawn(2)[1]
    serial = runner.write_replication(data, "", seed, str(tmp_path / "serial"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = pool.submit(runner.write_replication, data, "", seed, str(tmp_path / "pool")).result()
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = client.submit(runner.write_replication, data, "", seed, str(tmp_path / "dask"), pure=False).result()
    a, b, c = digest(Path(serial)), digest(Path(pooled)), digest(Path(on_dask))
    assert a == b == c


def test_a_different_seed_gives_a_different_year(tmp_path, data):
    one = digest(Path(runner.write_replication(data, "", 1, str(tmp_path / "one"))))
    two = digest(Path(runner.write_replication(data, "", 2, str(tmp_path / "two"))))
    assert one["shifts.parquet"] != two["shifts.parquet"]


def test_sweep_results_do_not_depend_on_the_executor_or_worker_count(data):
    sc = from_dict(data)
    points = runner.grid_points({"fees.admin_fee_pct": [8, 14]})
    tasks = runner.make_tasks(sc, points, replications=2, seed=5)
    serial = runner.execute(tasks, workers=1)
    pooled = runner.execute(tasks, workers=2)
    assert [r.metrics for r in serial] == [r.metrics for r in pooled]
    assert all(r.error is None for r in serial)
    table = runner.summarise(points, serial)
    fill = table[table.metric == "fill_rate"]
    assert list(fill["n"]) == [2, 2] and (fill["ci_low"] <= fill["mean"]).all()


def test_a_failing_replication_is_retried_then_reported_not_dropped(data):
    bad = dict(data)
    bad["agency"] = {**bad["agency"], "name": "no-such-agency"}
    task = runner.Task(point=0, replication=0, scenario=bad, base_dir="", overrides=(),
                       seed=np.random.SeedSequence(1))
    [result] = runner.execute([task], workers=1)
    assert result.metrics is None and result.attempts == 2 and "no-such-agency" in result.error
    table = runner.summarise([{}], [result])
    assert set(table["failed"]) == {1} and set(table["n"]) == {0}


def test_confidence_intervals_stay_inside_what_a_metric_can_be():
    # Two replications at 99 % and 100 % filled: the t interval (mean +- 6.35 %) would pass
    # 100 %; the reported interval stops there, and the half-width is kept as computed.
    def result(rep: int, fill: float, net: float) -> runner.TaskResult:
        values = {name: 1.0 for name, _ in runner.METRICS}
        values.update(fill_rate=fill, operator_net=net)
        return runner.TaskResult(point=0, replication=rep, metrics=values, error=None, attempts=1)

    table = runner.summarise([{}], [result(0, 0.99, -5.0), result(1, 1.0, 5.0)]).set_index("metric")
    fill = table.loc["fill_rate"]
    assert fill["ci_high"] == 1.0 and fill["ci_low"] == pytest.approx(0.995 - fill["half"])
    assert fill["half"] == pytest.approx(12.706 * 0.00707107 / 2 ** 0.5, rel=1e-3)
    net = table.loc["operator_net"]  # may be negative: not clipped
    assert net["ci_low"] == pytest.approx(-net["half"]) and net["ci_low"] < -5


def test_paired_differences_see_through_the_luck_both_points_share():
    # Three replications of very different periods; the second point is the first plus 2.00
    # (plus a cent of noise).  Each point's own interval is wide; the paired one is narrow.
    def result(point: int, rep: int, net: float) -> runner.TaskResult:
        values = {name: 1.0 for name, _ in runner.METRICS}
        values.update(operator_net=net)
        return runner.TaskResult(point=point, replication=rep, metrics=values, error=None, attempts=1)

    periods = [100.0, 900.0, 400.0]
    results = [result(0, r, v) for r, v in enumerate(periods)]
    results += [result(1, r, v + 2.0 + 0.01 * r) for r, v in enumerate(periods)]
    results += [runner.TaskResult(point=1, replication=3, metrics=None, error="boom", attempts=2)]
    table = runner.summarise([{"x": 1}, {"x": 2}], results).set_index(["x", "metric"])
    net = table.loc[(2, "operator_net")]
    assert net["diff"] == pytest.approx(2.01) and net["pairs"] == 3 and net["failed"] == 1
    assert net["diff_half"] < 0.05 < 100 < net["half"]
    assert table.loc[(1, "operator_net")]["diff"] == 0
    shown = runner.wide(table.reset_index(), [{"x": 1}, {"x": 2}]).set_index("metric")
    assert shown.loc["operator_net", "x=2 Δ"] == pytest.approx(2.01)
    assert "x=1 Δ" not in shown.columns and shown.loc["operator_net", "n"] == 3
