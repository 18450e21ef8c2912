"""offduty simulate / sweep / calibrate / scenario from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest

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
                     "--long", "--out", str(table))
    assert result.returncode == 0, result.stderr
    df = pd.read_csv(table)
    assert set(df["fees.admin_fee_pct"]) == {8, 20}
    assert {"metric", "mean", "ci_low", "ci_high", "n"} <= set(df.columns)
    fee = df[df.metric == "admin_fee"].set_index("fees.admin_fee_pct")["mean"]
    assert fee[20] > fee[8]


def test_sweep_table_is_wide_with_paired_differences_from_the_baseline(tmp_path):
    path = scenario_file(tmp_path, days=7, officers=20)
    table = tmp_path / "sweep.csv"
    result = offduty("sweep", "--scenario", str(path), "--admin-fee", "8,20", "-n", "3", "--workers", "1",
                     "--out", str(table))
    assert result.returncode == 0, result.stderr
    df = pd.read_csv(table).set_index("metric")
    assert list(df.columns) == ["n", "fees.admin_fee_pct=8 (baseline) mean", "fees.admin_fee_pct=8 (baseline) ±",
                                "fees.admin_fee_pct=20 mean", "fees.admin_fee_pct=20 ±", "fees.admin_fee_pct=20 Δ",
                                "fees.admin_fee_pct=20 Δ±"]
    fee = df.loc["admin_fee"]
    # The same seeds at both points: the mean of the paired differences is the difference of the means.
    assert fee["fees.admin_fee_pct=20 Δ"] == pytest.approx(fee["fees.admin_fee_pct=20 mean"]
                                                           - fee["fees.admin_fee_pct=8 (baseline) mean"])
    assert fee["fees.admin_fee_pct=20 Δ"] > 0 and fee["fees.admin_fee_pct=20 Δ±"] > 0
    assert "± is the half-width of a 95% t interval" in result.stdout
    requests = next(line for line in result.stdout.splitlines() if line.strip().startswith("requests"))
    assert ".00" not in requests.split()[2]  # a count prints whole


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


def test_packaged_scenarios_are_listed_and_usable_by_name(tmp_path):
    listing = offduty("scenario", "--list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    assert names == sorted(p.stem for p in (ROOT / "simulations" / "scenarios").glob("*.toml"))
    assert "Chandler PD" in listing.stdout
    # By name from any folder, as a path from the checkout.
    by_name = offduty("scenario", "grantsville-ut", cwd=tmp_path)
    assert by_name.returncode == 0 and "agency grantsville-ut" in by_name.stdout
    by_path = offduty("scenario", "simulations/scenarios/grantsville-ut.toml")
    assert by_path.returncode == 0 and "agency grantsville-ut" in by_path.stdout


def test_unknown_scenario_name_is_refused_listing_the_packaged_ones(tmp_path):
    result = offduty("simulate", "--scenario", "chandler", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "--scenario: 'chandler'" in result.stderr and "did you mean 'chandler-az'?" in result.stderr
    assert "chandler-az, grantsville-ut, lynnwood-wa, west-valley-city-ut" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_file_is_never_shadowed_by_a_packaged_name(tmp_path):
    (tmp_path / "chandler-az").write_text('[agency]\nname = "grantsville-ut"\ndays = 2\n')
    result = offduty("scenario", "chandler-az", cwd=tmp_path)
    assert result.returncode == 0 and "agency grantsville-ut, 2 days" in result.stdout


def test_sweep_out_writes_the_format_its_extension_names(tmp_path):
    path = scenario_file(tmp_path, days=5, officers=15)
    tables = {}
    for name in ("t.csv", "t.parquet", "t.xlsx", "again.xlsx"):
        result = offduty("sweep", "--scenario", str(path), "--admin-fee", "8,20", "-n", "2", "--workers", "1",
                         "--seed", "3", "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        tables[name] = (tmp_path / name).read_bytes()
    assert tables["t.parquet"][:4] == b"PAR1"
    csv_table = pd.read_csv(tmp_path / "t.csv")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), csv_table, check_dtype=False)
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.xlsx") as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()
        shared = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/workbook.xml").decode()
    assert 'name="sweep"' in sheet
    assert all(f">{metric}<" in shared for metric in set(csv_table["metric"]))
    assert tables["t.xlsx"] == tables["again.xlsx"]  # the same seed, byte for byte
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left
    plain = tmp_path / "plain"
    plain.write_text("")
    assert (tmp_path / "t.xlsx").stat().st_mode == plain.stat().st_mode  # not a temporary file's 0600


def test_sweep_out_with_another_extension_is_refused_before_running(tmp_path):
    path = scenario_file(tmp_path, days=5, officers=15)
    (tmp_path / "d.csv").mkdir()
    for out, message in [("t.xls", "--out: 't.xls' is not allowed; name a .csv, .parquet or .xlsx file"),
                         ("t", "--out: 't' is not allowed; name a .csv, .parquet or .xlsx file"),
                         ("missing/t.csv", "the folder 'missing' does not exist"),
                         ("d.csv", "--out: 'd.csv' is not allowed; is a folder; name a file in it")]:
        result = offduty("sweep", "--scenario", str(path), "-n", "50", "--out", out, cwd=tmp_path)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and message in result.stderr
    assert sorted(tmp_path.iterdir()) == [tmp_path / "d.csv", path] and not any((tmp_path / "d.csv").iterdir())


def without(modules: list[str], *args: str) -> subprocess.CompletedProcess:
    """Run offduty as a plain ``pip install .`` would have it: ``modules`` cannot be imported."""
    code = (f"import sys\nfor m in {modules!r}: sys.modules[m] = None\n"
            f"from offduty_core.cli import main\nsys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)


def test_the_base_install_runs_and_refuses_what_needs_an_extra(tmp_path):
    extras = ["scipy", "xlsxwriter", "dask", "distributed"]
    path = scenario_file(tmp_path, days=3, officers=10)
    run = without(extras, "simulate", "--scenario", str(path), "--seed", "1", "--out", str(tmp_path / "o"))
    assert run.returncode == 0, run.stderr
    for args, needs in [(["sweep"], "sweep (its t confidence intervals) needs scipy, which is not installed: "
                                    "pip install 'offduty[sweep]'"),
                        (["sweep", "--dask", "local"], "pip install 'offduty[dask]'"),
                        (["sweep", "--out", str(tmp_path / "t.xlsx")], "pip install 'offduty[xlsx]'")]:
        blocked = extras if needs.endswith("[sweep]'") else extras[1:]
        result = without(blocked, *args, "--scenario", str(path), "-n", "2")
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and needs in result.stderr
