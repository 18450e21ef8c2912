"""``offduty report OUT_DIR``: ``report.html`` and ``forecast.xlsx`` from a simulate output.

The page is for sales and agency staff and must open anywhere, mailed or offline: one file,
CSS inline, every chart a base64 PNG, no script and no network.  The workbook is for
finance: one sheet per table (money as numbers formatted to the cent), reproducible to the
byte (XlsxWriter stamps its zip parts with a fixed date in memory; the creation date is
fixed too).  Tables come from :mod:`.report_tables`, charts from :mod:`.report_charts`.
"""

from __future__ import annotations

import base64
import datetime
import html
import os
from decimal import Decimal
from pathlib import Path

import pandas as pd

from . import report_tables as T

#: What the report needs beyond the base install, by module, for the "needs the extra" refusal.
NEEDS = ("matplotlib", "xlsxwriter")
HTML, XLSX = "report.html", "forecast.xlsx"

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1a202c;max-width:980px;margin:2em auto;
padding:0 1em;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #e2e8f0}
.lede{color:#4a5568}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{padding:.25em .7em;border-bottom:1px solid #edf2f7;text-align:left}td.n{text-align:right;
font-variant-numeric:tabular-nums}th{background:#f7fafc}img{max-width:100%;display:block;margin:.6em 0}
.warn{background:#fff5f5;border-left:4px solid #c53030;padding:.5em 1em}.note{color:#4a5568;font-size:.9em}
"""


def _cell(value) -> tuple[str, bool]:
    """A value as page text, and whether it is a number (right-aligned)."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}", True
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}", True
    return str(value), False


def _table(frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record):
            value = value.item() if hasattr(value, "item") else value
            if column in percent:
                text, number = f"{float(value) * 100:.1f} %", True
            else:
                text, number = _cell(value)
            cells.append(f'<td class="n">{html.escape(text)}</td>' if number else f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def render_html(run: T.Run, tables: dict[str, pd.DataFrame]) -> str:
    from . import report_charts as C

    s = run.summary
    cash = tables["cash"]
    problems = T.check_totals(run, cash)
    fill = s["fill_rate"]
    lede = (f"{s['requests']['received']:,} requests and {s['shifts']['due']:,} shifts due over {s.get('days')} days "
            f"from {s.get('first_day')}; "
            + (f"{fill * 100:.1f} % of shifts filled." if fill is not None else "no shift was due."))
    name = str(s.get("agency_title") or s.get("agency", ""))
    parts = [f"<h1>Off-duty forecast: {html.escape(name)}</h1>",
             f'<p class="lede">{html.escape(lede)} A simulation: one forecast year drawn from the scenario, '
             "not a guarantee.</p>"]
    if problems:
        parts.append('<div class="warn"><b>The files in this folder do not agree with summary.json:</b><br>'
                     + "<br>".join(html.escape(p) for p in problems) + "</div>")
    parts += ["<h2>Headline figures</h2>", _table(tables["headline"]),
              "<h2>Fill by month</h2>",
              _img(C.fill_bars(tables["fill_by_month"], "month", "Shifts filled by month", "month of the shift",
                               rotate=True), "fill rate by month"),
              "<h2>Fill by lead time</h2>",
              '<p class="note">Lead time: from when the request was received to the shift\'s start.</p>',
              _img(C.fill_bars(tables["fill_by_lead_time"], "lead_time", "Shifts filled by lead time",
                               "notice given"), "fill rate by lead time"),
              _table(tables["fill_by_lead_time"], percent=("fill_rate",)),
              "<h2>Fill by category</h2>",
              _img(C.fill_bars(tables["fill_by_category"], "category", "Shifts filled by job category", "category"),
                   "fill rate by category"),
              _table(tables["fill_by_category"], percent=("fill_rate",)),
              "<h2>Fill by hour of day</h2>",
              _img(C.fill_bars(tables["fill_by_hour"], "start_hour", "Shifts filled by start hour",
                               "start hour (local)"), "fill rate by start hour"),
              "<h2>Unfilled hot spots</h2>",
              _img(C.hot_spot_grid(T.unfilled_grid(run)), "unfilled shifts by weekday and hour"),
              '<p class="note">Where unfilled shifts bunch (category, weekday, start hour), most first:</p>',
              _table(tables["unfilled_hot_spots"], percent=("fill_rate",)),
              "<h2>Officer hours and pay</h2>",
              _img(C.officer_distribution(tables["officers"]), "distribution of officer hours and pay"),
              f'<p class="note">{s["officers"]["worked_any"]:,} of {s["officers"]["count"]:,} officers worked; '
              f'Gini of hours {s["officers"]["gini_hours"]:.3f} (0: everyone the same, 1: one officer works it '
              "all).</p>",
              "<h2>Payroll cash needed ahead of vendor payments</h2>",
              _img(C.cash_position(cash), "cumulative cash: vendor payments less payroll"),
              f'<p class="note">Officers are paid weekly whatever vendors have paid; at its lowest the operator '
              f"needs <b>{T.payroll_ahead(cash):,.2f}</b> in hand "
              f"(summary.json: {T.money(s['cash']['payroll_ahead_of_vendor_payments']):,.2f}, peak day "
              f"{html.escape(str(s['cash'].get('peak_day')))}).</p>",
              "<h2>Cancellation income</h2>",
              _img(C.cancellation_income(tables["cancellations"]), "cancellation income"),
              _table(tables["cancellations"]),
              "<h2>Assumptions</h2>", _table(tables["assumptions"]),
              '<p class="note">Every table is also in forecast.xlsx; invoices.csv, payroll.csv and city.csv in '
              "this folder hold each invoice, pay week and city amount, and their totals equal "
              "summary.json's.</p>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Off-duty forecast: {html.escape(str(s.get('agency_title') or s.get('agency', '')))}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table: money as numbers shown to the cent, dates as dates."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"title": "offduty forecast", "created": datetime.datetime(2000, 1, 1)})
    bold = book.add_format({"bold": True, "bottom": 1})
    cents = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in tables.items():
        sheet = book.add_worksheet(name[:31])
        widths = [len(str(c)) for c in frame.columns]
        for col, column in enumerate(frame.columns):
            sheet.write_string(0, col, str(column), bold)
        for row, record in enumerate(frame.itertuples(index=False), 1):
            for col, value in enumerate(record):
                value = value.item() if hasattr(value, "item") else value
                if isinstance(value, Decimal):
                    sheet.write_number(row, col, float(value), cents)
                    text = f"{value:,.2f}"
                elif isinstance(value, datetime.date):
                    sheet.write_datetime(row, col, datetime.datetime(value.year, value.month, value.day), day)
                    text = "yyyy-mm-dd"
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(row, col, value)
                    text = str(value)
                else:
                    text = "" if value is None else str(value)
                    sheet.write_string(row, col, text)
                widths[col] = max(widths[col], len(text))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(width + 2, 60))
        sheet.freeze_panes(1, 0)
    book.close()


def _replace(path: Path, write) -> None:
    """Write ``path`` whole or not at all (a temporary beside it, moved into place)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def build(folder: str | Path) -> list[Path]:
    """Write ``report.html`` and ``forecast.xlsx`` into the simulate output ``folder``."""
    run = T.load(folder)
    tables = T.tables(run)
    page = render_html(run, tables)
    html_path, xlsx_path = run.folder / HTML, run.folder / XLSX
    _replace(xlsx_path, lambda p: write_xlsx(tables, p))
    _replace(html_path, lambda p: p.write_text(page, encoding="utf-8"))
    return [html_path, xlsx_path]
