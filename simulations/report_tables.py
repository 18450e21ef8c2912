"""The tables of ``offduty report``, read from one ``offduty simulate`` output folder.

Each table is a plain DataFrame (money as :class:`~decimal.Decimal`, counts as ints) so the
page and the workbook show the same figures.  Fill rates are counted from ``shifts.parquet``
with the summary's own definitions (a shift is due unless it was cancelled or refused; it is
filled if an officer held it at the start), money is read from the deliverables' CSVs and
``summary.json``, never recomputed from floats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from offduty_core.errors import InputError

from .deliverables import FILES as DELIVERABLES
from .outputs import FILLED, LEAD_BUCKETS

NEEDED = ("summary.json", "shifts.parquet", "officers.parquet")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DUE = FILLED + ("unfilled",)
#: The summary.json sections the report reads.
SECTIONS = ("requests", "shifts", "money", "cash", "officers")


@dataclass(frozen=True)
class Run:
    """One simulate output folder, read."""

    folder: Path
    summary: dict
    shifts: pd.DataFrame
    officers: pd.DataFrame
    invoices: pd.DataFrame
    payroll: pd.DataFrame
    city: pd.DataFrame


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load(folder: str | Path) -> Run:
    """Read ``folder``; refuse (one :class:`InputError`) anything that is not a simulate output."""
    path = Path(folder)
    if not path.exists():
        raise InputError("OUT_DIR", str(folder), "does not exist; give a folder written by `offduty simulate --out`")
    if not path.is_dir():
        raise InputError("OUT_DIR", str(folder), "is not a folder; give a folder written by `offduty simulate --out`")
    missing = [name for name in NEEDED if not (path / name).is_file()]
    if missing:
        raise InputError("OUT_DIR", str(folder), f"is not an `offduty simulate` output: it has no {', '.join(missing)}")
    missing = [name for name in DELIVERABLES if not (path / name).is_file()]
    if missing:
        raise InputError("OUT_DIR", str(folder), f"has no {', '.join(missing)} (written by an older offduty); "
                                                  "run `offduty simulate` again")
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        absent = [key for key in SECTIONS if not isinstance(summary, dict) or not isinstance(summary.get(key), dict)]
        if absent:
            raise ValueError(f"summary.json has no {', '.join(absent)} section")
        shifts = pd.read_parquet(path / "shifts.parquet")
        officers = pd.read_parquet(path / "officers.parquet")
        tables = [_csv(path / name) for name in DELIVERABLES]
    except (ValueError, OSError, UnicodeDecodeError) as e:  # pyarrow's errors are ValueErrors/OSErrors
        raise InputError("OUT_DIR", str(folder), f"is not a readable `offduty simulate` output ({e})") from None
    return Run(path, summary, shifts, officers, *tables)


def money(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _total(column) -> Decimal:
    return sum((money(v) for v in column), Decimal("0.00"))


def provenance(summary: dict, *keys: str) -> str:
    """The first of ``keys`` (``seed``, ``offduty_version``, ``scenario``, ...) found in the
    summary's ``provenance`` section or at its top level, or a plain "not recorded" for a
    summary written before it was recorded."""
    for section in (summary.get("provenance"), summary):
        for key in keys:
            if isinstance(section, dict) and section.get(key) not in (None, ""):
                value = section[key]
                return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return "not recorded"


def _fill(shifts: pd.DataFrame, keys: pd.Series, label: str, order=None) -> pd.DataFrame:
    status = shifts["status"].astype(str)
    due, filled = status.isin(DUE), status.isin(FILLED)
    counts = pd.DataFrame({label: keys[due].to_numpy(), "filled": filled[due].to_numpy()})
    table = counts.groupby(label, sort=True)["filled"].agg(["size", "sum"]).reset_index()
    table.columns = [label, "due", "filled"]
    if order is not None:
        table = table.set_index(label).reindex([o for o in order if o in set(table[label])]).reset_index()
    table["due"] = table["due"].astype(int)
    table["filled"] = table["filled"].astype(int)
    table["unfilled"] = table["due"] - table["filled"]
    table["fill_rate"] = (table["filled"] / table["due"]).round(4)
    return table


def _starts(shifts: pd.DataFrame) -> pd.Series:
    """Shift starts as local wall-clock times (the frame stores zoned timestamps)."""
    return pd.to_datetime(shifts["start"])


def headline(run: Run) -> pd.DataFrame:
    s = run.summary
    m, cash = s["money"], s["cash"]
    rows = [("requests received", s["requests"]["received"]), ("requests refused", s["requests"]["refused"]),
            ("shifts due", s["shifts"]["due"]), ("shifts filled", s["shifts"]["filled"]),
            ("fill rate", f"{s['fill_rate'] * 100:.1f} %" if s["fill_rate"] is not None else "n/a (no shift due)"),
            ("vendors billed", money(m["vendor_billed"])), ("officers paid", money(m["officer_pay"])),
            ("owed to the city", money(m["city"])), ("admin fee", money(m["admin_fee"])),
            ("card fees", money(m["card_fee"])), ("operator net", money(m["operator_net"])),
            ("bad debt (written off)", money(m["bad_debt"])),
            ("operator net after bad debt", money(m["operator_net_after_bad_debt"])),
            ("payroll cash needed ahead of vendor payments", money(cash["payroll_ahead_of_vendor_payments"])),
            ("officers on the roster", s["officers"]["count"]), ("officers who worked", s["officers"]["worked_any"]),
            ("Gini of officer hours", s["officers"]["gini_hours"])]
    return pd.DataFrame(rows, columns=["figure", "value"])


def assumptions(run: Run) -> pd.DataFrame:
    s = run.summary
    rows = [("scenario", provenance(s, "scenario")), ("scenario sha256", provenance(s, "scenario_sha256")),
            ("agency", str(s.get("agency", ""))), ("seed", provenance(s, "seed")),
            ("offduty version", provenance(s, "offduty_version", "version")),
            ("command", provenance(s, "command")),
            ("first day", str(s.get("first_day", ""))), ("days simulated", str(s.get("days", ""))),
            ("fill engine", str(s.get("fill_engine", ""))), ("output folder", run.folder.name)]
    return pd.DataFrame(rows, columns=["assumption", "value"])


def hot_spots(run: Run, top: int = 15) -> pd.DataFrame:
    """Where unfilled shifts bunch: category x weekday x start hour, most unfilled first."""
    shifts = run.shifts
    starts = _starts(shifts)
    keys = pd.DataFrame({"category": shifts["category"].astype(str), "weekday": starts.dt.day_name(),
                         "hour": starts.dt.hour, "status": shifts["status"].astype(str)})
    keys = keys[keys["status"].isin(DUE)]
    keys["unfilled"] = keys["status"].eq("unfilled").astype(int)
    table = keys.groupby(["category", "weekday", "hour"], sort=True)["unfilled"].agg(["size", "sum"]).reset_index()
    table.columns = ["category", "weekday", "hour", "due", "unfilled"]
    table = table[table["unfilled"] > 0]
    table["fill_rate"] = ((table["due"] - table["unfilled"]) / table["due"]).round(4)
    table["weekday_no"] = table["weekday"].map(WEEKDAYS.index)
    table = table.sort_values(["unfilled", "due", "category", "weekday_no", "hour"],
                              ascending=[False, False, True, True, True]).head(top)
    return table.drop(columns="weekday_no").reset_index(drop=True)


def unfilled_grid(run: Run) -> pd.DataFrame:
    """Unfilled shifts by weekday (rows, Monday first) and start hour (columns 0-23)."""
    starts = _starts(run.shifts)
    unfilled = run.shifts["status"].astype(str).eq("unfilled")
    grid = pd.crosstab(starts[unfilled].dt.day_name(), starts[unfilled].dt.hour)
    return grid.reindex(index=list(WEEKDAYS), columns=range(24), fill_value=0).fillna(0).astype(int)


def cash_flow(run: Run) -> pd.DataFrame:
    """Cash by day: vendors' payments in (``invoices.csv``'s paid invoices), payroll out
    (``payroll.csv``'s pay dates) and the running balance; its lowest point is the payroll
    cash the operator needs ahead of vendor payments."""
    flows: dict[date, list[Decimal]] = {}
    inv = run.invoices[run.invoices["status"] == "paid"]
    for day, amount in zip(inv["paid"], inv["total"]):
        flows.setdefault(date.fromisoformat(day), [Decimal("0.00"), Decimal("0.00")])[0] += money(amount)
    for day, amount in zip(run.payroll["pay_date"], run.payroll["gross_pay"]):
        flows.setdefault(date.fromisoformat(day), [Decimal("0.00"), Decimal("0.00")])[1] += money(amount)
    rows, balance = [], Decimal("0.00")
    for day in sorted(flows):
        received, paid = flows[day]
        balance += received - paid
        rows.append((day, received, paid, balance))
    return pd.DataFrame(rows, columns=["date", "vendor_payments", "payroll", "balance"])


def payroll_ahead(cash: pd.DataFrame) -> Decimal:
    """The most payroll has run ahead of vendor payments (zero if it never did)."""
    low = min(cash["balance"], default=Decimal("0.00"))
    return -low if low < 0 else Decimal("0.00")


def cancellations(run: Run) -> pd.DataFrame:
    m = run.summary["money"]
    rows = [("billed to vendors", money(m["cancellation_billed"])),
            ("paid to officers", money(m["cancellation_officer_pay"])),
            ("admin fee income", money(m["cancellation_fee_income"])),
            ("operator net", money(m["cancellation_operator_net"]))]
    return pd.DataFrame(rows, columns=["cancellation, start-change and reduction charges", "amount"])


def officers(run: Run) -> pd.DataFrame:
    frame = run.officers
    return pd.DataFrame({"badge": frame["badge"].astype(str), "rank": frame["rank"].astype(str),
                         "shifts": frame["shifts"].astype(int), "hours": frame["hours"].astype(float).round(2),
                         "pay": [money(v) for v in frame["pay"]], "cap_hits": frame["cap_hits"].astype(int)})


def money_columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame.assign(**{c: [money(v) for v in frame[c]] for c in columns})


def date_columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """ISO date text as dates (an empty cell: none), for the workbook to write as dates."""
    return frame.assign(**{c: [date.fromisoformat(v) if v else None for v in frame[c]] for c in columns})


def city_by_month(run: Run) -> pd.DataFrame:
    return money_columns(run.city, ["owed"])


def tables(run: Run) -> dict[str, pd.DataFrame]:
    """Every table of the report, by sheet name, in the order the workbook has them."""
    shifts = run.shifts
    starts = _starts(shifts)
    return {
        "assumptions": assumptions(run),
        "headline": headline(run),
        "fill_by_month": _fill(shifts, starts.dt.strftime("%Y-%m"), "month"),
        "fill_by_lead_time": _fill(shifts, shifts["lead_bucket"].astype(str), "lead_time",
                                   order=[label for _, label in LEAD_BUCKETS]),
        "fill_by_category": _fill(shifts, shifts["category"].astype(str), "category"),
        "fill_by_hour": _fill(shifts, starts.dt.hour, "start_hour"),
        "unfilled_hot_spots": hot_spots(run),
        "officers": officers(run),
        "cash": cash_flow(run),
        "cancellations": cancellations(run),
        "invoices": date_columns(money_columns(run.invoices, ["subtotal", "card_fee", "total", "late_charge"]),
                                 ["issued", "due", "paid", "written_off"]),
        "payroll": date_columns(money_columns(run.payroll, ["gross_pay"]), ["week_start", "week_end", "pay_date"])
        .assign(hours=lambda f: f["hours"].astype(float)),
        "city": city_by_month(run),
    }


def check_totals(run: Run, cash: pd.DataFrame) -> list[str]:
    """Where the deliverables do not tie to the summary (empty when they all do): the page
    says so rather than showing figures that disagree."""
    m, c = run.summary["money"], run.summary["cash"]
    checks = [("invoices total", _total(run.invoices["total"]), m["vendor_billed"]),
              ("payroll gross pay", _total(run.payroll["gross_pay"]), m["officer_pay"]),
              ("city owed", _total(run.city["owed"]), m["city"]),
              ("payroll ahead of vendor payments", payroll_ahead(cash), c["payroll_ahead_of_vendor_payments"])]
    return [f"{name}: {got} in the files, {want} in summary.json" for name, got, want in checks if got != money(want)]
