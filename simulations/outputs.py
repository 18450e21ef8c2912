"""Tidy frames and the summary, computed from a run's records with the core's billing.

Nothing here simulates.  Each job's bill is the one the job board made with
:func:`offduty_core.billing.bill` when the job settled (its ``Billed`` record); the vendor
payments and defaults the model recorded, write-offs, and
:func:`offduty_core.payroll.weekly_payroll` over the bills' ledger complete the books.

Frames (one row per ...):

``shifts``    slot of every request (refused requests: one row per requested position):
              ``request_id, slot, shift_id, agency, vendor, category, source, role, start, end,
              hours, lead_hours, lead_bucket, received, posted, filled, status, officer,
              method, awards, drops, worked_hours, vendor_billed, officer_pay`` -- ``status``
              is worked, released (worked, let go early), no_show, unfilled, cancelled
              (the request or this slot was cancelled before the start) or refused;
              money as exact strings.
``officers``  roster officer: ``badge, rank, qualifications, schedule, shifts, hours, pay,
              cap_hits, daily_cap_hits, weekly_cap_hits, monthly_cap_hits``.
``ledger``    posting: ``tx, date, ref, memo, account, amount`` (amount an exact string; every
              ``tx`` sums to zero).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from offduty_core import ledger as L
from offduty_core.billing import bill
from offduty_core.money import ZERO, fmt
from offduty_core.payroll import weekly_payroll

from . import fill as F
from .model import ModelResult, paused_gc

LEAD_BUCKETS = ((24, "<1d"), (72, "1-3d"), (168, "3-7d"), (336, "7-14d"), (720, "14-30d"), (math.inf, ">=30d"))
CHARGE_RULES = (":cancellation.", ":start-change.", ":reduction.")
WRITE_OFF_DAYS = 90  # an unpaid invoice is written off this many days after it was issued
FILLED = ("worked", "released", "no_show", "filled")
#: The dtype pandas gives a column of Python strings (Arrow-backed ``str`` since pandas 3).
TEXT = pd.Series(["text"]).dtype


def lead_bucket(hours: float) -> str:
    for limit, label in LEAD_BUCKETS:
        if hours < limit:
            return label
    return LEAD_BUCKETS[-1][1]


def gini(values) -> float:
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float((2 * (i * x).sum()) / (n * x.sum()) - (n + 1) / n)


class Outputs:
    """Frames and summary of one replication (``shifts``, ``officers``, ``ledger``, ``summary``)."""

    def __init__(self, shifts: pd.DataFrame, officers: pd.DataFrame, ledger: pd.DataFrame, summary: dict):
        self.shifts = shifts
        self.officers = officers
        self.ledger = ledger
        self.summary = summary

    def write(self, out: str | Path) -> list[Path]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in ("shifts", "officers", "ledger"):
            path = out / f"{name}.parquet"
            getattr(self, name).to_parquet(path, index=False)
            paths.append(path)
        path = out / "summary.json"
        path.write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")
        paths.append(path)
        return paths


#: The slot records a shift's row reads: the common three in ``_build``'s loop, the rest in
#: :func:`_slot_change`; other records (offers, applications, alerts, ...) change no column.
SLOT_RECORDS = frozenset({F.Posted, F.Awarded, F.Clocked, F.Dropped, F.StartChanged, F.Cancelled, F.ShiftUnfilled,
                          F.NoShowReported, F.ReleasedEarly})


def _slot_change(d: dict, r, hours) -> None:
    """Apply one of a slot's less common records (a drop, a start change, a cancellation, ...)
    to its row ``d``."""
    t = type(r)
    if t is F.Dropped:
        d["drops"] += 1
        d["officer"] = ""
        d["status"] = "open"
    elif t is F.StartChanged:
        d["start"], d["end"] = hours(r.start), hours(r.end)
        if not r.kept:
            d["officer"] = ""
            d["status"] = "open"
    elif t is F.Cancelled:
        if d["status"] != "filled" or not r.note.startswith("after the start"):
            d["status"] = "cancelled"
    elif t is F.ShiftUnfilled:
        d["status"] = "unfilled"
        d["officer"] = ""
    elif t is F.NoShowReported:
        d["status"] = "no_show"
    elif t is F.ReleasedEarly:
        d["released"] = True


def build(result: ModelResult) -> Outputs:
    with paused_gc():
        return _build(result)


def _payment_transaction(ref: str, vendor: str, day, amount: Decimal, method: str) -> L.Transaction:
    """The transaction :func:`offduty_core.terms.payment_transaction` makes of a vendor's
    payment (cash in, the receivable down), built as the ledger builds billing's whole-cent
    amounts.  ``amount`` is a bill's total, already a positive whole number of cents (the model
    pays only positive bills), so the payment's and postings' checks of outside input would only
    repeat themselves; they were a tenth of the whole build.  A test keeps the two equal."""
    return L.cent_transaction(day, f"payment for {ref} by {method}",
                              {L.CASH: amount, L.account(L.RECEIVABLE, vendor): -amount}, ref=f"payment:{ref}")


def _build(result: ModelResult) -> Outputs:
    rules, clock, tz = result.rules, result.clock, result.rules.info.tz
    agency = rules.name
    hours = clock.hours
    by_job: dict[str, list] = defaultdict(list)
    for r in result.board_records:
        by_job[r.request_id].append(r)
    model_by_job: dict[str, list] = defaultdict(list)
    for r in result.records:
        if r.kind in ("paid", "defaulted"):
            model_by_job[r.job].append(r)

    transactions: list[L.Transaction] = []
    earnings: list[L.Transaction] = []  # the bills' transactions: all that payroll looks at
    payments: list[tuple[Any, Decimal]] = []  # (day, amount) cash in
    pay_days: dict[float, Any] = {}  # a payment's time -> its local date (vendors pay on whole days)
    shift_rows: list[tuple] = []
    officer_pay: dict[str, Decimal] = defaultdict(lambda: ZERO)
    officer_hours: dict[str, float] = defaultdict(float)
    officer_shifts: Counter = Counter()
    totals = defaultdict(lambda: ZERO)
    refusals: Counter = Counter()
    change_refusals: Counter = Counter()
    billing_failures: list[str] = []
    time_to_fill: list[float] = []
    bad_debt = ZERO
    is_charge: dict[str, bool] = {}  # a line's rule -> is it a cancellation/change/reduction charge

    for job in result.jobs:
        recs = by_job.get(job.id, ())
        req = job.request
        base = (job.id, agency, req.vendor, req.category, job.source)
        lead = job.lead_hours
        approved = next((r for r in recs if type(r) is F.Approved), None)
        if approved is None:
            rule = next((r.rule for r in recs if type(r) is F.Refused), "")
            refusals[rule] += 1
            for i in range(req.position_count):
                shift_rows.append(base + (i, "officer", job.start, job.end, lead, job.received, math.nan, math.nan,
                                          "refused", "", "", 0, 0, 0.0, "0.00", "0.00"))
            continue
        slots = [{"posted": math.nan, "filled": math.nan, "status": "open", "officer": "", "method": "",
                  "awards": 0, "drops": 0, "worked": 0.0, "start": job.start, "end": job.end, "released": False}
                 for _ in approved.roles]
        b = None
        for r in recs:
            t = type(r)
            if t in SLOT_RECORDS:
                d = slots[r.slot]
                if t is F.Posted:
                    if math.isnan(d["posted"]):
                        d["posted"] = hours(r.at)
                    d["method"] = r.method
                elif t is F.Awarded:
                    d["awards"] += 1
                    d["officer"] = r.badge
                    d["status"] = "filled"
                    if math.isnan(d["filled"]):
                        d["filled"] = hours(r.at)
                        time_to_fill.append(d["filled"] - d["posted"])
                elif t is F.Clocked:
                    d["status"] = "worked"
                    worked = (r.clock_out - r.clock_in).total_seconds() / 3600.0
                    d["worked"] = worked
                    officer_hours[r.badge] += worked
                    officer_shifts[r.badge] += 1
                else:
                    _slot_change(d, r, hours)
            elif t is F.Billed:
                b = r.bill
            elif t is F.Refused:
                change_refusals[r.rule] += 1
            elif t is F.BillingFailed:
                billing_failures.append(f"{job.id}: {r.reason}")
        if b is not None:
            transactions.extend(b.transactions)
            earnings.extend(b.transactions)
            totals["vendor"] += b.vendor_total
            totals["officer"] += b.officer_pay_total
            totals["city"] += b.city_total
            totals["admin_fee"] += b.admin_fee_total
            totals["card_fee"] += b.card_fee_total
            totals["absorbed"] += b.absorbed_total
            for line in b.lines:
                charge = is_charge.get(line.rule)
                if charge is None:
                    charge = is_charge[line.rule] = any(tag in line.rule for tag in CHARGE_RULES)
                if charge:
                    totals[f"cancel_{line.party}"] += line.amount
                    if line.party == "vendor":
                        totals["cancel_fee"] += line.fee
            for officer, amount in b.officer_pay().items():
                officer_pay[officer] += amount
            for payment in model_by_job.get(job.id, ()):
                if payment.kind == "paid":
                    day = pay_days.get(payment.a)
                    if day is None:
                        day = pay_days[payment.a] = clock.at(payment.a).date()
                    transactions.append(_payment_transaction(job.id, req.vendor, day, b.vendor_total, payment.note))
                    payments.append((day, b.vendor_total))
                else:
                    day = clock.at(payment.t).date() + timedelta(days=WRITE_OFF_DAYS)
                    bad_debt += b.vendor_total
                    transactions.append(L.Transaction(
                        date=day, memo=f"{job.id}: written off unpaid", ref=f"payment:{job.id}",
                        postings=[L.Posting(account=L.BAD_DEBT, amount=b.vendor_total),
                                  L.Posting(account=L.account(L.RECEIVABLE, req.vendor), amount=-b.vendor_total)]))
        info = {s["slot"]: s for s in b.slots} if b is not None else {}
        for i, role in enumerate(approved.roles):
            d = slots[i]
            status = d["status"]
            if status == "worked" and d["released"]:
                status = "released"
            money = info.get(i, {})
            shift_rows.append(base + (i, role, d["start"], d["end"], lead, job.received, d["posted"], d["filled"],
                                      status, d["officer"] if status in FILLED else "", d["method"], d["awards"],
                                      d["drops"], d["worked"], money.get("vendor", "0.00"),
                                      money.get("officer_pay", "0.00")))

    # Payroll: weekly, over every officer payable in the ledger (only bills post to officers;
    # vendor payments and write-offs do not).
    runs = weekly_payroll(earnings, rules.terms)
    payroll_out = []
    for run in runs:
        if run.transaction is not None:
            transactions.append(run.transaction)
            payroll_out.append((run.pay_date, run.total))

    shifts = _shifts_frame(shift_rows, clock, tz)
    officers = _officers_frame(result, officer_hours, officer_pay, officer_shifts)
    ledger_df, residual = _ledger_frame(transactions)
    summary = _summary(result, shifts, officers, totals, refusals, time_to_fill, bad_debt, payments, payroll_out,
                       residual, len(transactions))
    summary["requests"]["changes_refused_by_rule"] = dict(sorted(change_refusals.items()))
    summary["billing_failures"] = billing_failures
    return Outputs(shifts, officers, ledger_df, summary)


SHIFT_COLUMNS = ("request_id", "agency", "vendor", "category", "source", "slot", "role", "start", "end",
                 "lead_hours", "received", "posted", "filled", "status", "officer", "method", "awards", "drops",
                 "worked_hours", "vendor_billed", "officer_pay")


def _ts(clock, hours: pd.Series, tz) -> pd.Series:
    epoch = pd.Timestamp(clock.epoch)
    return (epoch + pd.to_timedelta(hours.to_numpy(dtype=float) * 3600.0, unit="s").round("s")).tz_convert(tz)


def _shifts_frame(rows, clock, tz) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(SHIFT_COLUMNS))
    df.insert(0, "shift_id", df["request_id"] + "#" + df["slot"].astype(str))
    hours = (df["end"] - df["start"]).astype(float)
    for col in ("start", "end", "received", "posted", "filled"):
        df[col] = _ts(clock, df[col], tz)
    df["hours"] = hours.round(4)
    df["lead_bucket"] = [lead_bucket(h) for h in df["lead_hours"]]
    df["time_to_fill_hours"] = ((df["filled"] - df["posted"]).dt.total_seconds() / 3600.0).round(4)
    df["lead_hours"] = df["lead_hours"].round(4)
    df["worked_hours"] = df["worked_hours"].astype(float).round(4)
    df["slot"] = df["slot"].astype("int32")
    return df[["shift_id", "request_id", "slot", "agency", "vendor", "category", "source", "role", "start", "end",
               "hours", "lead_hours", "lead_bucket", "received", "posted", "filled", "time_to_fill_hours", "status",
               "officer", "method", "awards", "drops", "worked_hours", "vendor_billed", "officer_pay"]]


def _officers_frame(result, hours, pay, shifts) -> pd.DataFrame:
    caps: dict[str, Counter] = defaultdict(Counter)
    for r in result.records:
        if r.kind == "cap_hit":
            caps[r.officer][r.note] += 1
    rows = []
    for o in result.roster:
        c = caps.get(o.badge, Counter())
        sched = o.schedule.describe() if o.schedule is not None else "none"
        rows.append((o.badge, o.agency, o.rank.value, ";".join(sorted(o.qualifications)), sched,
                     o.seniority_date.isoformat(), shifts.get(o.badge, 0), round(hours.get(o.badge, 0.0), 4),
                     fmt(pay.get(o.badge, ZERO)), sum(c.values()), c.get("daily-cap", 0), c.get("weekly-cap", 0),
                     c.get("monthly-cap", 0)))
    df = pd.DataFrame(rows, columns=["badge", "agency", "rank", "qualifications", "schedule", "seniority_date",
                                     "shifts", "hours", "pay", "cap_hits", "daily_cap_hits", "weekly_cap_hits",
                                     "monthly_cap_hits"])
    return df


def _amount_texts(amounts: list[Decimal]) -> list[str]:
    """:func:`~offduty_core.money.fmt` of each amount.  A year's postings repeat a couple of
    thousand amounts, so each distinct one is written once and looked up after (``fmt`` depends
    on the value alone, but for a zero's sign: zeros, which the ledger's builders never post,
    are written each time)."""
    written = {amount: fmt(amount) for amount in set(amounts) if amount}
    return [written.get(amount) or fmt(amount) for amount in amounts]


def _ledger_frame(transactions) -> tuple[pd.DataFrame, Decimal]:
    """The ledger frame, and the sum of every posting (the residual: zero when it balances).

    A transaction's own columns (date, ref, memo) are converted once per transaction and
    repeated for its postings by position, rather than converting a Python list of every
    posting's copy."""
    counts = [len(tx.postings) for tx in transactions]
    tx = np.repeat(np.arange(len(transactions), dtype="int64"), counts)
    postings = [p for t in transactions for p in t.postings]
    amounts = [p.amount for p in postings]
    dates = pd.to_datetime(pd.Series([t.date for t in transactions], dtype="object")).to_numpy()
    frame = pd.DataFrame({"tx": tx,
                          "date": dates[tx],
                          "ref": _text([t.ref for t in transactions], at=tx),
                          "memo": _text([t.memo for t in transactions], at=tx),
                          "account": _text([p.account for p in postings]),
                          "amount": _text(_amount_texts(amounts))})
    return frame, sum(amounts, ZERO)


def _text(values: list[str], at: np.ndarray | None = None):
    """Strings as the ``str`` column pandas infers from them, made directly (inference is one
    more pass over them), taken ``at`` those positions if given.  No strings stay a list, for
    the frame to type as it always has (not as ``str``)."""
    if not values:
        return values
    column = pd.array(values, dtype=TEXT)
    return column if at is None else column.take(at)


def _rates(keys: pd.Series, due: pd.Series, filled: pd.Series) -> dict[str, dict]:
    """Shifts due, filled and the fill rate by ``keys`` (in sorted order) over the rows ``due``
    marks, ``filled`` marking the filled ones: one grouped count and sum rather than a frame
    per group."""
    counts = filled[due].groupby(keys[due], sort=True).agg(["size", "sum"])
    return {str(key): {"due": int(n), "filled": int(f), "fill_rate": round(int(f) / int(n), 6)}
            for key, n, f in zip(counts.index, counts["size"], counts["sum"])}


def _summary(result, shifts, officers, totals, refusals, ttf, bad_debt, payments, payroll, residual, ntx) -> dict:
    sc = result.scenario
    status = shifts["status"].value_counts().to_dict()
    due = int(sum(status.get(s, 0) for s in FILLED + ("unfilled",)))
    filled = int(sum(status.get(s, 0) for s in FILLED))
    is_due, is_filled = shifts["status"].isin(FILLED + ("unfilled",)), shifts["status"].isin(FILLED)
    rates = lambda keys: _rates(keys, is_due, is_filled)
    ttf_arr = np.asarray(ttf, dtype=float)

    # Cash: weekly payroll goes out on pay dates whatever vendors have paid.
    flows: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in payments:
        flows[day] += amount
    for day, amount in payroll:
        flows[day] -= amount
    cum, low, low_day = ZERO, ZERO, None
    for day in sorted(flows):
        cum += flows[day]
        if cum < low:
            low, low_day = cum, day
    money = lambda d: fmt(d)
    operator_net = totals["vendor"] - totals["officer"] - totals["city"]
    return {
        "scenario": sc.name,
        "agency": result.rules.name,
        "days": sc.agency.days,
        "first_day": sc.agency.first_day.isoformat(),
        "fill_engine": result.fill_status,
        "requests": {"received": len(result.jobs), "admitted": len(result.jobs) - int(sum(refusals.values())),
                     "refused": int(sum(refusals.values())), "refused_by_rule": dict(sorted(refusals.items()))},
        "shifts": {"total": int(len(shifts)), "due": due, "filled": filled,
                   "by_status": {k: int(v) for k, v in sorted(status.items())}},
        "fill_rate": round(filled / due, 6) if due else None,
        "fill_rate_by_lead_time": rates(shifts["lead_bucket"]),
        "fill_rate_by_category": rates(shifts["category"]),
        "fill_rate_by_month": rates(shifts["start"].dt.month),
        "fill_rate_by_weekday": rates(shifts["start"].dt.day_name()),
        "fill_rate_by_role": rates(shifts["role"]),
        "time_to_fill_hours": {
            "mean": round(float(ttf_arr.mean()), 4) if len(ttf_arr) else None,
            "median": round(float(np.median(ttf_arr)), 4) if len(ttf_arr) else None,
            "p90": round(float(np.quantile(ttf_arr, 0.9)), 4) if len(ttf_arr) else None,
        },
        "money": {
            "vendor_billed": money(totals["vendor"]),
            "officer_pay": money(totals["officer"]),
            "city": money(totals["city"]),
            "admin_fee": money(totals["admin_fee"]),
            "card_fee": money(totals["card_fee"]),
            "operator_net": money(operator_net),
            "bad_debt": money(bad_debt),
            "operator_net_after_bad_debt": money(operator_net - bad_debt),
            "absorbed_officer_pay": money(totals["absorbed"]),
            "cancellation_billed": money(totals["cancel_vendor"]),
            "cancellation_officer_pay": money(totals["cancel_officer"]),
            "cancellation_fee_income": money(totals["cancel_fee"]),
            "cancellation_operator_net": money(totals["cancel_vendor"] - totals["cancel_officer"] - totals["cancel_city"]),
        },
        "officers": {
            "count": int(len(officers)),
            "worked_any": int((officers["shifts"] > 0).sum()),
            "gini_hours": round(gini(officers["hours"]), 6),
            "mean_hours": round(float(officers["hours"].mean()), 4) if len(officers) else 0.0,
            "max_hours": round(float(officers["hours"].max()), 4) if len(officers) else 0.0,
        },
        "cap_hits": {"total": int(officers["cap_hits"].sum()),
                     "daily": int(officers["daily_cap_hits"].sum()),
                     "weekly": int(officers["weekly_cap_hits"].sum()),
                     "monthly": int(officers["monthly_cap_hits"].sum()),
                     "officers": int((officers["cap_hits"] > 0).sum())},
        "cash": {"payroll_ahead_of_vendor_payments": money(-low),
                 "peak_day": low_day.isoformat() if low_day else None,
                 "payroll_paid": money(sum((a for _, a in payroll), ZERO)),
                 "vendor_payments_received": money(sum((a for _, a in payments), ZERO))},
        "ledger": {"transactions": ntx, "residual": money(residual), "balanced": residual == 0},
    }
