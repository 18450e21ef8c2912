"""The notebooks in ``notebooks/`` run top to bottom with small parameters, and the results
they write are right (checked against the rate sheet, the simulator's own frames and
arithmetic done here, not just that the notebook finished).

Each notebook runs under papermill in a kernel of *this* interpreter: the fixture writes a
kernelspec into a temporary Jupyter path (nothing is installed into the user's or the
system's Jupyter folders) with Matplotlib's Agg backend.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "offduty-notebook-tests"
ALL = ("01-onboarding-a-new-agency.ipynb", "02-fee-change.ipynb", "03-fill-rate-forecast.ipynb",
       "04-distribution-methods-compared.ipynb")
METHODS = ["immediate-release", "seniority", "sequencing", "bidding", "fairness"]


@pytest.fixture(scope="session")
def kernel(tmp_path_factory: pytest.TempPathFactory):
    """A kernel that runs this interpreter (``sys.executable``: the venv's python under CI), found
    first on a temporary JUPYTER_PATH; nothing is written to ~/.jupyter, ~/.ipython or the venv."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "data" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "offduty notebook tests",
        "language": "python",
        "env": {"MPLBACKEND": "Agg"},
    }))
    mp = pytest.MonkeyPatch()
    old = os.environ.get("JUPYTER_PATH")
    mp.setenv("JUPYTER_PATH", str(root / "data") + (os.pathsep + old if old else ""))  # searched first
    # Jupyter's and IPython's own files (connection files, config, history) stay in the temporary folder too.
    for name, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_CONFIG_DIR", "config"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        mp.setenv(name, str(root / sub))
    mp.setenv("MPLBACKEND", "Agg")
    yield KERNEL
    mp.undo()


def run(name: str, tmp_path: Path, kernel: str, **parameters) -> tuple[dict, Path]:
    declared = papermill.inspect_notebook(str(NOTEBOOKS / name))
    unknown = set(parameters) - set(declared)
    assert not unknown, f"{name} has no parameters {sorted(unknown)} (it has {sorted(declared)})"
    out = tmp_path / "out"
    papermill.execute_notebook(str(NOTEBOOKS / name), str(tmp_path / name), parameters={**parameters,
                               "out_dir": str(out)}, kernel_name=kernel, cwd=str(tmp_path), progress_bar=False,
                               execution_timeout=600)
    return json.loads((out / "results.json").read_text()), out


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, path


# --- the committed notebooks --------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_committed_notebook_is_clean_and_parameterised(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert not [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])], "a papermill output"
    assert "out_dir" in papermill.inspect_notebook(str(NOTEBOOKS / name))
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit notebooks without outputs"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_there_are_exactly_the_four_notebooks():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(ALL)


# --- 1. onboarding --------------------------------------------------------------------------------


def test_onboarding_bills_the_rate_sheet_and_simulates_the_agency(tmp_path, kernel):
    results, out = run("01-onboarding-a-new-agency.ipynb", tmp_path, kernel, days=30, officers=40, seed=1)
    assert results["agency"] == "maple-bay-mn"
    assert results["rate_sheet"] == {"regular": {"total": "72.00", "share": "64.00"},
                                     "supervisor": {"total": "90.00", "share": "80.00"},
                                     "holiday": {"total": "108.00", "share": "96.00"}}
    # The rate sheet, by hand: 4 h by card (+3 %); 2 officers x the 3 h minimum; an officer and a sergeant
    # for 5 h; 2 officers on Independence Day for 4 h; a cancellation inside 24 h (2 x 3 h); one outside
    # (free); a request with 10 h notice (declined); clocked 18:10-23:30 (5 h 20 min).
    hand = {
        "MB-1001": Decimal("4") * Decimal("72.00") * Decimal("1.03"),
        "MB-1002": 2 * 3 * Decimal("72.00"),
        "MB-1003": 5 * Decimal("72.00") + 5 * Decimal("90.00"),
        "MB-1004": 2 * 4 * Decimal("108.00"),
        "MB-1005": 2 * 3 * Decimal("72.00"),
        "MB-1006": Decimal("0"),
        "MB-1008": Decimal(320) / 60 * Decimal("72.00"),
    }
    stories = {s["story"]: s for s in results["stories"]}
    assert set(stories) == set(hand) | {"MB-1007"}
    for rid, amount in hand.items():
        assert Decimal(stories[rid]["vendor"]) == amount.quantize(Decimal("0.01")), rid
    assert stories["MB-1007"]["vendor"] is None and "notice" in stories["MB-1007"]["outcome"]
    assert Decimal(stories["MB-1005"]["officers"]) == 2 * 3 * Decimal("64.00")  # the officers paid the 3 h
    assert results["billed_total"] == results["hand_total"] == "3218.64"
    lines = pd.DataFrame(results["invoice_lines"])
    vendor = lines[lines["party"] == "vendor"]
    assert sum(Decimal(a) for a in vendor["amount"]) == Decimal("3218.64")
    assert {"72.00", "90.00", "108.00"} <= set(vendor["rate"].dropna())

    assert results["self_check"] and all(f["ok"] for f in results["self_check"])
    assert results["typo_caught"] is True

    sim = results["simulation"]
    assert sim["days"] == 30 and sim["officers"] == 40
    assert sim["requests"]["received"] > 50 and sim["ledger_balanced"] is True
    assert 0.0 <= sim["fill_rate"] <= 1.0
    # Requests with under 24 h notice were declined by the plugin's rule, and nothing else was.
    assert set(sim["requests"]["refused_by_rule"]) == {"maple-bay-mn:notice"}
    # Every simulated hour was billed by the plugin: the fee is 12.5 % of officer pay (cent rounding aside).
    assert Decimal(sim["money"]["officer_pay"]) > 0
    assert abs(sim["admin_fee_over_officer_pay"] - 0.125) < 0.001
    assert_png(out / "simulated-month.png")


# --- 2. fee change --------------------------------------------------------------------------------


def test_fee_sweep_moves_vendor_cost_and_operator_net_with_the_fee(tmp_path, kernel):
    fees = [0, 15, 30]
    results, out = run("02-fee-change.ipynb", tmp_path, kernel, agency="chandler-az", admin_fees=fees,
                       rate_multipliers=[1.0], replications=2, days=14, seed=0)
    assert results["agency"] == "chandler-az" and results["failed_replications"] == 0
    assert abs(results["published_fee_pct"] - 11.0) < 0.05  # Chandler: share + 11 %
    points = results["points"]
    assert [p["admin_fee_pct"] for p in points] == fees
    for p in points:
        for name, m in p["metrics"].items():
            assert m["n"] == 2 and m["failed"] == 0, name
            assert m["ci_low"] <= m["mean"] <= m["ci_high"], name
        assert 0.0 <= p["metrics"]["fill_rate"]["mean"] <= 1.0
        # The vendor's hourly price is the officer's share (75.03) plus the fee on it, to the cent.
        assert Decimal(p["officer_per_hour"]) == Decimal("75.03")
        assert Decimal(p["vendor_per_hour"]) == (Decimal("75.03") * (1 + Decimal(p["admin_fee_pct"]) / 100)).quantize(
            Decimal("0.01"))
    vendor = [p["metrics"]["vendor_billed"]["mean"] for p in points]
    operator = [p["metrics"]["operator_net"]["mean"] for p in points]
    assert vendor == sorted(vendor) and len(set(vendor)) == 3, vendor
    assert operator == sorted(operator) and len(set(operator)) == 3, operator
    assert results["baseline_point"] == {"admin_fee_pct": 15, "rate_multiplier": 1.0}  # nearest to 11 %

    sweep = pd.read_csv(out / "sweep.csv")
    assert len(sweep) == len(fees) * sweep["metric"].nunique()
    table = (out / "sales-table.md").read_text().splitlines()
    assert table[0].startswith("| Admin fee |") and set(table[1]) <= set("|-")
    assert [row.split("|")[1].strip() for row in table[2:5]] == ["0 %", "15 %", "30 %"]
    assert "$97.54" in table[4]  # 75.03 + 30 %
    assert " ± $" in table[2] and "95% confidence interval" in (out / "sales-table.md").read_text()
    assert_png(out / "fee-sweep.png")
    assert_png(out / "against-today.png")
    # Paired differences from the baseline: none for the baseline itself, and for the others the
    # mean of the differences is the difference of the means (every point ran every replication).
    for p in points:
        m = p["metrics"]["operator_net"]
        base = next(q for q in points if q["admin_fee_pct"] == 15)["metrics"]["operator_net"]["mean"]
        assert m["diff"] == pytest.approx(m["mean"] - base, abs=1e-6)
        assert (m["diff_low"] <= m["diff"] <= m["diff_high"]) or p["admin_fee_pct"] == 15
    assert "scaled UP from 14 days" in results["month_note"]


# --- 3. forecast ------------------------------------------------------------------------------------


def test_forecast_breakdowns_add_up_to_the_simulated_shifts(tmp_path, kernel):
    results, out = run("03-fill-rate-forecast.ipynb", tmp_path, kernel, agency="chandler-az", days=45, officers=40,
                       seed=2)
    shifts = pd.read_parquet(out / results["frames"] / "shifts.parquet")
    summary = json.loads((out / results["frames"] / "summary.json").read_text())
    filled_status = {"worked", "released", "no_show", "filled"}
    due = shifts[shifts["status"].isin(filled_status | {"unfilled"})]
    total = results["total"]
    assert total["due"] == len(due) == summary["shifts"]["due"]
    assert total["filled"] == int(due["status"].isin(filled_status).sum()) == summary["shifts"]["filled"]
    assert total["unfilled"] > 0  # 40 officers cannot cover it all: there are hot spots to show

    for key in ("by_month", "by_lead_time", "by_category"):
        rows = results[key]
        assert sum(r["due"] for r in rows) == total["due"], key
        assert sum(r["filled"] for r in rows) == total["filled"], key
        for r in rows:
            assert r["due"] == r["filled"] + r["unfilled"] and 0 <= r["fill_rate"] <= 1
    months = due["start"].dt.strftime("%Y-%m").value_counts().sort_index()
    assert {r["month"]: r["due"] for r in results["by_month"]} == months.to_dict()
    assert [r["month"] for r in results["by_month"]] == ["2027-01", "2027-02"]
    assert {r["category"]: r["due"] for r in results["by_category"]} == due["category"].value_counts().to_dict()
    lead_order = ["<1d", "1-3d", "3-7d", "7-14d", "14-30d", ">=30d"]
    leads = [r["lead_time"] for r in results["by_lead_time"]]
    assert leads == [b for b in lead_order if b in leads]

    grid = np.array(results["unfilled_by_weekday_hour"])
    assert grid.shape == (7, 24) and grid.sum() == total["unfilled"]
    unfilled = due[due["status"] == "unfilled"]
    assert grid[unfilled["start"].dt.day_of_week.iloc[0], unfilled["start"].dt.hour.iloc[0]] >= 1
    hot = results["hot_spots"]
    assert hot and len(hot) <= 10
    assert [h["unfilled"] for h in hot] == sorted((h["unfilled"] for h in hot), reverse=True)
    assert hot[0]["unfilled"] == grid.max()

    cash = results["cash"]
    assert cash["peak_needed"] == cash["summary_peak_needed"] == summary["cash"]["payroll_ahead_of_vendor_payments"]
    assert Decimal(cash["peak_needed"]) > 0  # payroll goes out before the first invoices are paid
    positions = [w["position"] for w in cash["weekly"]]
    assert min(positions) >= -float(cash["peak_needed"]) - 0.01  # no week's end is below the daily low point
    for name in results["figures"]:
        assert_png(out / name)


# --- 4. methods compared ----------------------------------------------------------------------------


def gini(values) -> float:
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    return float(sum((2 * i - n - 1) * v for i, v in enumerate(x, start=1)) / (n * x.sum()))


def test_methods_compared_on_the_same_traffic(tmp_path, kernel):
    results, out = run("04-distribution-methods-compared.ipynb", tmp_path, kernel, agency="chandler-az", days=21,
                       officers=40, weekly_cap=16, seed=0, replications=2)
    assert results["title"] == "Chandler Police Department (AZ)" and results["replications"] == 2
    assert list(results["methods"]) == METHODS
    assert results["same_traffic"] is True and results["requests"] > 0
    reference = None
    for method, r in results["methods"].items():
        shifts = pd.read_parquet(out / r["frames"] / "shifts.parquet")
        officers = pd.read_parquet(out / r["frames"] / "officers.parquet")
        traffic = sorted(zip(shifts["request_id"], shifts["slot"], shifts["category"]))
        reference = reference or traffic
        assert traffic == reference, f"{method} saw other requests"
        assert set(shifts["method"].dropna()) == {method}  # every posting used the method under comparison
        assert 0.0 <= r["fill_rate"] <= 1.0
        assert 0.0 <= r["gini_hours"] <= 1.0
        assert r["gini_hours"] == pytest.approx(gini(officers["hours"]), abs=1e-5)
        assert r["gini_from_lorenz"] == pytest.approx(r["gini_hours"], abs=1e-5)
        xs, ys = r["lorenz"]["officers"], r["lorenz"]["hours"]
        assert len(xs) == len(officers) + 1 and xs[0] == ys[0] == 0.0 and xs[-1] == ys[-1] == 1.0
        assert all(b >= a for a, b in zip(ys, ys[1:]))
        assert r["cap_hits"] == int(officers["cap_hits"].sum())
        assert r["cap_hits_weekly"] == int(officers["weekly_cap_hits"].sum())
        assert r["cap_hits"] == r["cap_hits_daily"] + r["cap_hits_weekly"] + r["cap_hits_monthly"]
        assert r["time_to_fill_median_h"] is None or r["time_to_fill_median_h"] >= 0
        # The mean over both replications, with an interval, beside replication 0's own figure.
        other = json.loads((out / method / "rep1" / "summary.json").read_text())
        assert r["means"]["fill_rate"]["mean"] == pytest.approx((r["fill_rate"] + other["fill_rate"]) / 2)
        assert r["means"]["fill_rate"]["half"] is not None or r["fill_rate"] == other["fill_rate"]
    # A 16 h weekly cap binds with 40 officers.
    assert sum(r["cap_hits_weekly"] for r in results["methods"].values()) > 0
    assert_png(out / "methods-compared.png")
