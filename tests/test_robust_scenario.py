"""Scenarios: every value the simulator cannot run is refused at load, naming its key and
the allowed range (issue 13); Ctrl-C and a lost worker in a sweep are one line each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from offduty_simulations import runner
from offduty_simulations.scenario import loads
from robust_helpers import ROOT, refused, run, write  # noqa: F401 - run is a fixture

HEAD = '[agency]\nname = "chandler-az"\ndays = 7\n'


@pytest.mark.parametrize("text, says", [
    ("[officers]\ncount = 9223372036854775807", "officers.count: 9223372036854775807 is not allowed; must be from 0 "
                                                "to 100000"),
    ("[demand.categories.security]\nrequests_per_week = 1e308",
     "demand.categories.security.requests_per_week: 1e+308 is not allowed; must be from 0 to 5000"),
    ("[[demand.standing]]\nhours = 1e9", "demand.standing[0].hours: 1000000000.0 is not allowed; must be from 0 to 72"),
    ("[demand.categories.security]\nduration_hours = { values = [1e308] }",
     "demand.categories.security.duration_hours.values: [1e+308]"),
    ("[demand.categories.security]\nduration_hours = { values = [100] }",
     "demand.categories.security.duration_hours.values[0]: 100.0 is not allowed; must be from 0 to 72"),
    ("[demand.categories.security]\nofficers = { values = [1, 2], weights = [1e308, 1e308] }",
     "demand.categories.security.officers.weights"),
    ("[payment]\ndays_to_pay = { median = 20, sigma = 1e9 }", "payment.days_to_pay.sigma: 1000000000.0 is not "
                                                              "allowed; must be from 0 to 5"),
    ("[officers.acceptance]\nbase = -9223372036854775808", "officers.acceptance.base: -9223372036854775808 is not "
                                                           "allowed; must be from -50 to 50"),
    ("[demand.categories.security]\nofficers = { values = [1e308] }", "demand.categories.security.officers.values"),
    ("[demand.categories.security]\nofficers = { values = [500] }",
     "demand.categories.security.officers.values[0]: 500.0 is not allowed; must be from 1 to 200"),
    ("[officers]\nbackup_agencies = { \"grantsville-ut\" = 10000000 }", "officers.backup_agencies.grantsville-ut"),
    ("[demand]\nmonth = [1e308, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "demand.month"),
    ("[demand.events]\nper_year = 1e9", "demand.events.per_year: 1000000000.0 is not allowed; must be from 0 to 100"),
    ("[demand.school]\nschools = 100000000", "demand.school.schools"),
    ("[fees]\nweekly_cap = 1e300", "fees.weekly_cap"),
    ("[payment]\ndays_to_pay = { median = 1" + "0" * 400 + " }", "payment.days_to_pay"),  # found by the fuzz suite
    # Found by the deep fuzz profile: a post ending at a fraction of a second made simulate hang.
    ("[[demand.standing]]\nhours = 3.73399052268579", "demand.standing[0].hours: 3.73399052268579 is not allowed; "
                                                        "give whole minutes, e.g. 3.73333 (224 minutes)"),
    ("[demand.school]\nschools = 1\nhours = 7.999", "demand.school.hours: 7.999"),
])
def test_a_value_simulate_cannot_run_is_refused_at_load(run, tmp_path, text, says):
    refused(run("scenario", write(tmp_path, "s.toml", HEAD + text + "\n")), says)
    refused(run("simulate", "--scenario", tmp_path / "s.toml", "--out", tmp_path / "out"), says)
    assert not (tmp_path / "out").exists()


def test_a_log_normal_without_max_is_clipped_to_the_range():
    sc = loads(HEAD + "[demand.categories.security]\nduration_hours = { median = 4, sigma = 4 }\n")
    assert sc.demand.categories["security"].duration_hours.max == 72


def test_a_scenario_that_is_not_utf8_or_too_large_is_refused(run, tmp_path):
    refused(run("scenario", write(tmp_path, "s.toml", (HEAD + 'name = "caf\u00e9"\n').encode("latin-1"))),
            "byte 0xE9 is not UTF-8")
    refused(run("scenario", write(tmp_path, "b.toml", b"#" * 1_000_001)), "larger than 1,000,000 bytes")


def test_a_lost_pool_worker_is_reported_in_one_line(tmp_path, monkeypatch, capsys):
    parent = os.getpid()
    real = runner.run_task

    def dies_in_a_worker(task):
        if os.getpid() != parent:
            os._exit(9)  # the worker is killed mid-replication
        return runner.TaskResult(point=task.point, replication=task.replication, metrics={}, error=None, attempts=1)

    monkeypatch.setattr(runner, "run_task", dies_in_a_worker)
    sc = loads(HEAD)
    tasks = runner.make_tasks(sc, [{}], 2, seed=1)
    results = runner.execute(tasks, workers=2)
    monkeypatch.setattr(runner, "run_task", real)
    assert [r.error for r in results] == [None, None]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all("moved to the main process after its worker was lost" in x for x in lines)


@pytest.mark.skipif(os.name != "posix", reason="process groups and SIGINT")
def test_ctrl_c_in_a_sweep_is_one_line_from_the_whole_process_group(tmp_path):
    """The terminal sends SIGINT to every process of the group: the pool's workers too."""
    # Far more replications than can finish before the signal, however fast the simulator gets.
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from offduty_core.cli import main; sys.exit(main())",
                             "sweep", "--scenario", str(ROOT / "simulations" / "scenarios" / "chandler-az.toml"),
                             "-n", "400", "--workers", "2", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for_group(proc.pid, members=3)  # the main process and both workers
        time.sleep(1)  # the workers are simulating
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert (proc.returncode, out, err) == (130, "", "offduty: interrupted\n")


def _wait_for_group(pgid: int, members: int, timeout: float = 60.0) -> None:
    """Wait until the process group has this many processes, read from /proc; where there is
    no /proc, wait a fixed time that covers the imports and the pool's start."""
    if not os.path.isdir("/proc/self"):
        time.sleep(6)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:  # field 5, the process group
                count += 1
        if count >= members:
            return
        time.sleep(0.05)
    raise AssertionError(f"the sweep's process group had fewer than {members} processes after {timeout} s")


@pytest.mark.parametrize("argv, says", [
    (["simulate", "--seed", "-1", "--out", "o"], "--seed: -1"),
    (["sweep", "--seed", "-5"], "--seed: -5"),
    (["sweep", "--level", "5"], "--level: 5.0"),
    (["sweep", "-n", "1000000000"], "--replications: 1000000000 is not allowed; must be from 1 to 10,000"),
    (["sweep", "--workers", "1000000"], "--workers: 1000000"),
    (["sweep", "-n", "100"] + [x for k in ("admin_fee_pct", "rate_multiplier", "weekly_cap")
                               for x in ("--vary", f"fees.{k}={','.join(['1'] * 1000)}")],
     "1,000,000,000 grid points x 100 replications"),
], ids=["simulate seed", "sweep seed", "level", "replications", "workers", "grid"])
def test_simulate_and_sweep_options_are_bounded(run, tmp_path, argv, says):
    scenario = ["--scenario", ROOT / "simulations" / "scenarios" / "chandler-az.toml"]
    refused(run(*argv[:1], *scenario, *argv[1:]), says)
