"""offduty report OUT_DIR: a self-contained report.html and a reproducible forecast.xlsx."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal

import pytest

from offduty_simulations import report_tables as T
from offduty_simulations.calibrate import dumps_toml
from sim_helpers import ROOT, small

pytest.importorskip("matplotlib")
pytest.importorskip("xlsxwriter")


def offduty(*args):
    return subprocess.run([sys.executable, "-m", "offduty_core.cli", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """A simulate output folder with its report built."""
    folder = tmp_path_factory.mktemp("report")
    scenario = folder / "small.toml"
    scenario.write_text(dumps_toml(small(days=35, officers=20)))
    result = offduty("simulate", "--scenario", str(scenario), "--seed", "2", "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    result = offduty("report", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and "report.html" in result.stdout and "forecast.xlsx" in result.stdout
    return folder / "out"


def images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"',
                                                          page)]


def test_the_page_is_self_contained_with_every_chart_embedded(out):
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    assert page.count("<img") == len(images(page)) == 8
    from PIL import Image

    for png in images(page):
        with Image.open(io.BytesIO(png)) as im:
            assert im.format == "PNG" and im.width > 300 and im.height > 150
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 20  # not a blank canvas
    for heading in ("Fill by month", "Fill by lead time", "Fill by category", "Fill by hour of day",
                    "Unfilled hot spots", "Officer hours and pay", "Payroll cash needed ahead of vendor payments",
                    "Cancellation income", "Assumptions"):
        assert f"<h2>{heading}</h2>" in page
    assert "do not agree with summary.json" not in page


def test_the_page_states_the_assumptions_and_the_summarys_figures(out):
    summary = json.loads((out / "summary.json").read_text())
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<td>scenario</td><td>{T.provenance(summary, 'scenario')}</td>" in page
    assert "<td>seed</td>" in page and "<td>offduty version</td>" in page
    assert f"{Decimal(summary['money']['vendor_billed']):,.2f}" in page
    assert f"{Decimal(summary['cash']['payroll_ahead_of_vendor_payments']):,.2f}" in page
    # The agency as people name it, not its plugin's name.
    assert f"<h1>Off-duty forecast: {summary['agency_title']}</h1>" in page and "Police" in summary["agency_title"]


def test_provenance_is_read_from_the_summarys_provenance_section_or_its_top_level():
    summary = {"scenario": "old", "provenance": {"offduty_version": "9.9", "seed": 4, "scenario": "x"}}
    assert [T.provenance(summary, k) for k in ("scenario", "seed", "command")] == ["x", "4", "not recorded"]
    assert T.provenance(summary, "offduty_version", "version") == "9.9"
    assert T.provenance({"scenario": "old"}, "scenario") == "old"


def test_the_cash_table_reaches_the_summarys_payroll_cash_need(out):
    run = T.load(out)
    tables = T.tables(run)
    assert T.payroll_ahead(tables["cash"]) == Decimal(run.summary["cash"]["payroll_ahead_of_vendor_payments"])
    assert T.check_totals(run, tables["cash"]) == []
    month = tables["fill_by_month"]
    assert int(month["due"].sum()) == run.summary["shifts"]["due"]
    assert int(month["filled"].sum()) == run.summary["shifts"]["filled"]
    for name, key in (("lead_time", "fill_rate_by_lead_time"), ("category", "fill_rate_by_category")):
        table = tables[f"fill_by_{name}"].set_index(name)
        assert sorted(table.index) == sorted(run.summary[key])
        for group, figures in run.summary[key].items():
            assert (int(table.loc[group, "due"]), int(table.loc[group, "filled"])) == (figures["due"],
                                                                                        figures["filled"])


def test_a_run_with_no_shift_due_still_reports(tmp_path):
    scenario = tmp_path / "empty.toml"
    scenario.write_text('[agency]\nname = "grantsville-ut"\ndays = 2\n')
    assert offduty("simulate", "--scenario", str(scenario), "--out", str(tmp_path / "o")).returncode == 0
    result = offduty("report", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "no shift was due" in page and len(images(page)) == 8


def test_a_mismatch_with_the_summary_is_shown_on_the_page(out, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["money"]["vendor_billed"] = "1.00"
    (copy / "summary.json").write_text(json.dumps(summary))
    assert offduty("report", str(copy)).returncode == 0
    assert "invoices total" in (copy / "report.html").read_text(encoding="utf-8")


def test_the_workbook_has_one_sheet_per_table_and_is_byte_identical_when_rebuilt(out):
    with zipfile.ZipFile(out / "forecast.xlsx") as z:
        workbook = z.read("xl/workbook.xml").decode()
        names = re.findall(r'<sheet name="([^"]+)"', workbook)
        invoices = z.read(f"xl/worksheets/sheet{names.index('invoices') + 1}.xml").decode()
    assert names == list(T.tables(T.load(out)))
    rows = (out / "invoices.csv").read_text().count("\n")  # header + one line per invoice
    assert invoices.count("<row ") == rows
    first_html, first_xlsx = (out / "report.html").read_bytes(), (out / "forecast.xlsx").read_bytes()
    assert offduty("report", str(out)).returncode == 0
    assert (out / "forecast.xlsx").read_bytes() == first_xlsx
    assert (out / "report.html").read_bytes() == first_html
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary left behind


@pytest.mark.parametrize("case", ["missing", "file", "empty", "no-csvs", "bad-summary", "other-json"])
def test_a_bad_out_dir_exits_2_with_one_line(out, tmp_path, case):
    target = tmp_path / "target"
    if case == "file":
        target.write_text("x")
    elif case == "empty":
        target.mkdir()
    elif case in ("no-csvs", "bad-summary", "other-json"):
        shutil.copytree(out, target, ignore=shutil.ignore_patterns("report.html", "forecast.xlsx"))
        if case == "no-csvs":
            (target / "payroll.csv").unlink()
        else:
            (target / "summary.json").write_text("{not json" if case == "bad-summary" else '{"money": {}}')
    result = offduty("report", str(target))
    assert result.returncode == 2 and result.stdout == ""
    # One line naming the argument and the folder (a long value is shortened in the middle).
    assert result.stderr.count("\n") == 1 and "OUT_DIR" in result.stderr and str(target)[:40] in result.stderr
    assert "Traceback" not in result.stderr
    if target.is_dir():  # nothing half-written
        assert not {"report.html", "forecast.xlsx"} & {p.name for p in target.iterdir()}


def test_without_the_report_extra_it_exits_2_naming_it(tmp_path):
    code = ("import sys\nsys.modules['xlsxwriter'] = None\n"
            "from offduty_core.cli import main\nsys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, "report", str(tmp_path)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "pip install 'offduty[report]'" in result.stderr
