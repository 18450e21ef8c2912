"""offduty simulate / sweep / calibrate / scenario from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pandas as pd

from offduty_simulations.calibrate import dumps_toml
from sim_helpers import ROOT, small


def offduty(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "offduty_core.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT)


def scenario_file(tmp_path, **kw):
    path = tmp_path / "small.toml"
    path.write_text(dumps_toml(small(**kw)))
    return path


def test_simulate_writes_parquet_frames_and_summary(tmp_path):
    path = scenario_file(tmp_path, days=10, officers=25)
    out = tmp_path / "out"
    result = offduty("simulate", "--scenario", str(path), "--seed", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "ledger balanced True" in result.stdout
    assert result.stderr == ""  # no progress bar when not a terminal
    shifts = pd.read_parquet(out / "shifts.parquet")
    for column in ("shift_id", "agency", "category", "role", "start", "end", "hours", "posted", "filled", "status",
                   "officer", "method", "vendor_billed"):
        assert column in shifts.columns
    assert set(shifts["status"]) <= {"worked", "released", "no_show", "unfilled", "cancelled", "refused", "filled"}
    officers = pd.read_parquet(out / "officers.parquet")
    assert {"badge", "hours", "pay", "cap_hits"} <= set(officers.columns)
    ledger = pd.read_parquet(out / "ledger.parquet")
    # Money is exact: decimal128(18, 2), read by pandas as Decimals with two places.
    assert ledger["amount"].map(lambda a: isinstance(a, Decimal) and a.as_tuple().exponent == -2).all()
    summary = json.loads((out / "summary.json").read_text())
    for key in ("fill_rate", "fill_rate_by_lead_time", "fill_rate_by_category", "fill_rate_by_month",
                "time_to_fill_hours", "money", "officers", "cap_hits", "cash", "ledger"):
        assert key in summary
    assert summary["fill_engine"] == "offduty_core.lifecycle.JobBoard"


def test_sweep_prints_means_with_intervals(tmp_path):
    path = scenario_file(tmp_path, days=7, officers=20)
    table = tmp_path / "sweep.csv"
    result = offduty("sweep", "--scenario", str(path), "--admin-fee", "8,20", "-n", "2", "--workers", "1",
                     "--out", str(table))
    assert result.returncode == 0, result.stderr
    df = pd.read_csv(table)
    assert set(df["fees.admin_fee_pct"]) == {8, 20}
    assert {"metric", "mean", "ci_low", "ci_high", "n"} <= set(df.columns)
    fee = df[df.metric == "admin_fee"].set_index("fees.admin_fee_pct")["mean"]
    assert fee[20] > fee[8]


def test_misspelled_scenario_key_exits_2_naming_it(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[officers]\ncout = 3\n")
    result = offduty("simulate", "--scenario", str(path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "unknown key 'officers.cout'; did you mean 'officers.count'?" in result.stderr


def test_calibrate_and_scenario_commands(tmp_path):
    out = tmp_path / "fitted.toml"
    result = offduty("calibrate", "simulations/data/history-chandler-az.csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    check = offduty("scenario", str(out))
    assert check.returncode == 0 and "ok" in check.stdout
    listing = offduty("scenario")
    assert "demand.categories.NAME.lead_time_days" in listing.stdout


def test_simulate_with_no_shift_due_prints_no_fill_rate(tmp_path):
    # Found by a stress scenario: with no demand (or every request cancelled) the summary's
    # fill_rate is None and printing it with :.3f raised a TypeError after the files were written.
    path = tmp_path / "empty.toml"
    path.write_text("[agency]\nname = \"grantsville-ut\"\ndays = 2\n")
    out = tmp_path / "out"
    result = offduty("simulate", "--scenario", str(path), "--seed", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "fill rate n/a" in result.stdout
    assert json.loads((out / "summary.json").read_text())["fill_rate"] is None


def test_sweep_values_parse_booleans():
    # A boolean key (fees.no_caps, officers.instant) swept from the command line: "false" was
    # the text 'false' (truthy), now refused by the scenario's type check unless parsed.
    from offduty_simulations.cli import _values

    assert _values("true,False,none,3,2.5,fairness") == [True, False, None, 3, 2.5, "fairness"]
