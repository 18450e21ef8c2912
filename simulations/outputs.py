"""The files of a simulated year (typed Arrow tables, ``summary.json``), computed from its
records with the core's billing.

Nothing here simulates.  Each job's bill is the one the job board made with
:func:`offduty_core.billing.bill` when the job settled (its ``Billed`` record); the vendor
payments and defaults the model recorded, write-offs, and
:func:`offduty_core.payroll.weekly_payroll` over the bills' ledger complete the books.

The tables (``shifts``, ``officers``, ``ledger``) have the explicit schemas of
:mod:`offduty_simulations.schema`; ``docs/outputs.md`` documents them column by column and
says how they add up to the summary.  :class:`Outputs` holds them and writes them with
:class:`offduty_simulations.writing.OutFolder` (all files or none).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import compress
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from offduty_core import ledger as L
from offduty_core.money import ZERO, fmt
from offduty_core.payroll import weekly_payroll

from . import fill as F
from . import schema as S
from .memory import paused_gc
from .model import ModelResult
from .writing import OutFolder

LEAD_BUCKETS = ((24, "<1d"), (72, "1-3d"), (168, "3-7d"), (336, "7-14d"), (720, "14-30d"), (math.inf, ">=30d"))
CHARGE_RULES = (":cancellation.", ":start-change.", ":reduction.")
WRITE_OFF_DAYS = 90  # an unpaid invoice is written off this many days after it was issued
FILLED = ("worked", "released", "no_show", "filled")
DUE = FILLED + ("unfilled",)
#: A shift's statuses in the order a summary lists them (a shift's life, then its other ends).
STATUSES = FILLED + ("unfilled", "cancelled", "refused")
ROLES = ("officer", "supervisor", "scribe")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
    """The tables and summary of one replication.

    ``tables`` holds the typed Arrow tables (``shifts``, ``officers``, ``ledger``), written as
    they are; :attr:`shifts`, :attr:`officers` and :attr:`ledger` are the same tables as pandas
    frames, made on first use: what ``pandas.read_parquet`` gives for the written files."""

    def __init__(self, tables: dict[str, pa.Table], summary: dict):
        self.tables = tables
        self.summary = summary
        self._frames: dict = {}

    def frame(self, name: str):
        """The table ``name`` as a pandas frame (pandas is imported only now: writing the files
        does not need it)."""
        if name not in self._frames:
            self._frames[name] = self.tables[name].to_pandas()
        return self._frames[name]

    shifts = property(lambda self: self.frame("shifts"))
    officers = property(lambda self: self.frame("officers"))
    ledger = property(lambda self: self.frame("ledger"))

    def write(self, out: str | Path, force: bool = False) -> list[Path]:
        """Write every file into the folder ``out`` at once (see
        :class:`~offduty_simulations.writing.OutFolder`: results already there are replaced
        only with ``force``)."""
        with OutFolder(out, force=force) as folder:
            names = self.write_files(folder.tmp)
            folder.commit()
        return [Path(out) / name for name in names]

    def write_files(self, folder: Path) -> list[str]:
        """Write the Parquet files and ``summary.json`` into ``folder`` (no checks, not atomic:
        :meth:`write` is).  The run's provenance goes into each file's schema metadata."""
        provenance = self.summary.get("provenance")
        names = []
        for name, table in self.tables.items():
            pq.write_table(table.replace_schema_metadata(S.with_provenance(table.schema, provenance).metadata),
                           folder / f"{name}.parquet", compression="snappy")
            names.append(f"{name}.parquet")
        (folder / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
        names.append("summary.json")
        return names


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        return dist_version("offduty")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        return "unknown"


def scenario_hash(scenario) -> str:
    """sha256 of the scenario's canonical JSON (its :func:`~offduty_simulations.scenario.to_dict`,
    keys sorted): the same for the same parameters however the file was laid out, different
    after any override."""
    from .scenario import to_dict

    text = json.dumps(to_dict(scenario), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def provenance_of(scenario, seed: Any = None, command: list[str] | str | None = None) -> dict:
    """What made a run's files: the offduty version, the seed (an int, or a SeedSequence's
    entropy and spawn key), the scenario's name and hash, and the command line if there was
    one.  Nothing here depends on the machine or the time, so the files stay byte-identical."""
    if isinstance(seed, np.random.SeedSequence):
        seed = {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    if isinstance(command, (list, tuple)):
        import shlex

        command = shlex.join(command)
    return {"offduty_version": version(), "seed": seed, "scenario": scenario.name,
            "scenario_sha256": scenario_hash(scenario), "command": command}


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


def build(result: ModelResult, provenance: dict | None = None) -> Outputs:
    """The tables and summary of a finished run.  ``provenance`` (see :func:`provenance_of`)
    goes into the summary and the files' metadata; without it, the scenario's alone."""
    with paused_gc():
        out = _build(result)
    out.summary = {"provenance": provenance or provenance_of(result.scenario), **out.summary}
    return out


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
    officer_pay: dict[str, int] = defaultdict(int)  # cents
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
                                          "refused", None, None, 0, 0, 0.0, 0, 0, 0, 0))
            continue
        slots = [{"posted": math.nan, "filled": math.nan, "status": "open", "officer": "", "method": "",
                  "awards": 0, "drops": 0, "worked": 0.0, "start": job.start, "end": job.end, "released": False}
                 for _ in approved.roles]
        b = None
        n = len(approved.roles)
        vendor_c, pay_c, paid, request_c = [0] * n, [0] * n, [None] * n, [0, 0]
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
                # The shift rows' money: each slot's own lines; a request's lines without a
                # slot (its card fee, per-request extras) on its first row.
                i = line.slot
                if line.party == "vendor":
                    if i is not None:
                        vendor_c[i] += line.cents
                    elif line.card_cents:
                        request_c[1] += line.cents
                    else:
                        request_c[0] += line.cents
                elif line.party == "officer":
                    officer_pay[line.officer or ""] += line.cents
                    if i is not None:
                        pay_c[i] += line.cents
                        paid[i] = line.officer
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
        for i, role in enumerate(approved.roles):
            d = slots[i]
            status = d["status"]
            if status == "worked" and d["released"]:
                status = "released"
            # The officer who held the slot last, or (a slot cancelled after a drop, say) the one
            # its pay lines name: every shift that paid an officer says whom.
            officer = d["officer"] or paid[i]
            first = i == 0
            shift_rows.append(base + (i, role, d["start"], d["end"], lead, job.received, d["posted"], d["filled"],
                                      status, officer or None, d["method"] or None, d["awards"], d["drops"],
                                      d["worked"], vendor_c[i], pay_c[i], request_c[0] if first else 0,
                                      request_c[1] if first else 0))

    # Payroll: weekly, over every officer payable in the ledger (only bills post to officers;
    # vendor payments and write-offs do not).
    runs = weekly_payroll(earnings, rules.terms)
    payroll_out = []
    for run in runs:
        if run.transaction is not None:
            transactions.append(run.transaction)
            payroll_out.append((run.pay_date, run.total))

    shifts = _shifts_table(shift_rows, clock.epoch, tz.key)
    officers = _officers_table(result, officer_hours, officer_pay, officer_shifts)
    ledger, residual = _ledger_table(transactions)
    summary = _summary(result, shifts, officers, totals, refusals, time_to_fill, bad_debt, payments, payroll_out,
                       residual, len(transactions))
    summary["requests"]["changes_refused_by_rule"] = dict(sorted(change_refusals.items()))
    summary["billing_failures"] = billing_failures
    return Outputs({"shifts": shifts, "officers": officers, "ledger": ledger}, summary)


SHIFT_ROW = ("request_id", "agency", "vendor", "category", "source", "slot", "role", "start", "end", "lead_hours",
             "received", "posted", "filled", "status", "officer", "method", "awards", "drops", "worked_hours",
             "vendor_billed", "officer_pay", "request_extras", "card_fee")


def _shifts_table(rows: list[tuple], epoch, tz: str) -> pa.Table:
    """The shifts table from ``_build``'s rows (times in simulation hours, money in cents)."""
    schema = S.shifts_schema(tz)
    col = dict(zip(SHIFT_ROW, map(list, zip(*rows)))) if rows else {name: [] for name in SHIFT_ROW}
    start, end = np.asarray(col["start"], dtype=float), np.asarray(col["end"], dtype=float)
    posted, filled = np.asarray(col["posted"], dtype=float), np.asarray(col["filled"], dtype=float)
    ttf = np.round(filled - posted, 4)
    at = lambda hours: S.utc_seconds(hours, epoch)
    return S.table(schema, {
        "shift_id": [f"{r}#{i}" for r, i in zip(col["request_id"], col["slot"])],
        "request_id": col["request_id"],
        "slot": col["slot"],
        "agency": col["agency"], "vendor": col["vendor"], "category": col["category"], "source": col["source"],
        "role": col["role"],
        "start": at(start), "end": at(end),
        "hours": np.round(end - start, 4),
        "lead_hours": np.round(np.asarray(col["lead_hours"], dtype=float), 4),
        "lead_bucket": [lead_bucket(h) for h in col["lead_hours"]],
        "received": at(col["received"]), "posted": at(posted), "filled": at(filled),
        "time_to_fill_hours": pa.array(ttf, mask=np.isnan(ttf), type=pa.float64()),
        "status": col["status"], "officer": col["officer"], "method": col["method"],
        "awards": col["awards"], "drops": col["drops"],
        "worked_hours": np.round(np.asarray(col["worked_hours"], dtype=float), 4),
        **{name: col[name] for name in ("vendor_billed", "officer_pay", "request_extras", "card_fee")},
    })


def _officers_table(result, hours, pay, shifts) -> pa.Table:
    caps: dict[str, Counter] = defaultdict(Counter)
    for r in result.records:
        if r.kind == "cap_hit":
            caps[r.officer][r.note] += 1
    roster = list(result.roster)
    counts = [caps.get(o.badge, Counter()) for o in roster]
    return S.table(S.OFFICERS, {
        "badge": [o.badge for o in roster],
        "agency": [o.agency for o in roster],
        "rank": [o.rank.value for o in roster],
        "qualifications": [sorted(o.qualifications) for o in roster],
        "schedule": [o.schedule.describe() if o.schedule is not None else None for o in roster],
        "seniority_date": [o.seniority_date for o in roster],
        "shifts": [shifts.get(o.badge, 0) for o in roster],
        "hours": [round(hours.get(o.badge, 0.0), 4) for o in roster],
        "pay": [pay.get(o.badge, 0) for o in roster],
        "cap_hits": [sum(c.values()) for c in counts],
        "daily_cap_hits": [c.get("daily-cap", 0) for c in counts],
        "weekly_cap_hits": [c.get("weekly-cap", 0) for c in counts],
        "monthly_cap_hits": [c.get("monthly-cap", 0) for c in counts],
    })


def _cents(amounts: list[Decimal]) -> list[int]:
    """Each amount as integer cents.  A year's postings repeat a couple of thousand amounts, so
    each distinct one is converted once; an amount that is not whole cents is an error (the
    ledger's builders only post whole cents), never rounded here."""
    table = {}
    for amount in set(amounts):
        c = amount.scaleb(2)
        if c != c.to_integral_value():
            raise ValueError(f"ledger amount {amount} is not a whole number of cents")
        table[amount] = int(c)
    return [table[a] for a in amounts]


def _ledger_table(transactions) -> tuple[pa.Table, Decimal]:
    """The ledger table, and the sum of every posting (the residual: zero when it balances).

    A transaction's own columns (date, ref, memo) are made once per transaction and taken for
    its postings by position."""
    counts = [len(tx.postings) for tx in transactions]
    tx = pa.array(np.repeat(np.arange(len(transactions), dtype="int64"), counts))
    postings = [p for t in transactions for p in t.postings]
    cents = _cents([p.amount for p in postings])
    per_tx = lambda values, type_: pa.array(values, type=type_).take(tx)
    table = S.table(S.LEDGER, {
        "tx": tx,
        "date": per_tx([t.date for t in transactions], pa.date32()),
        "ref": per_tx([t.ref or None for t in transactions], pa.string()),
        "memo": per_tx([t.memo for t in transactions], pa.string()),
        "account": [p.account for p in postings],
        "amount": cents,
    })
    return table, Decimal(sum(cents)).scaleb(-2)


def _rates(keys: Iterable, due: list[bool], filled: list[bool], order: Sequence = ()) -> dict[str, dict]:
    """Shifts due, filled and the fill rate by ``keys`` (one per shift, beside its flags).
    Keys come in their natural ``order`` (months 1-12, Monday first, by lead), others sorted."""
    keys = list(keys)
    n_due, n_filled = Counter(compress(keys, due)), Counter(compress(keys, filled))
    found = [k for k in order if k in n_due] + sorted(k for k in n_due if k not in order)
    return {str(k): {"due": n_due[k], "filled": n_filled[k], "fill_rate": round(n_filled[k] / n_due[k], 6)}
            for k in found}


def _summary(result, shifts_table, officers_table, totals, refusals, ttf, bad_debt, payments, payroll, residual,
             ntx) -> dict:
    sc = result.scenario
    col = lambda table, name: table.column(name).to_pylist()
    status_of = col(shifts_table, "status")
    local = [result.rules.days.local_date(int(us) // 1_000_000)
             for us in shifts_table.column("start").cast(pa.int64()).to_numpy()]
    status = Counter(status_of)
    due = int(sum(status.get(s, 0) for s in DUE))
    filled = int(sum(status.get(s, 0) for s in FILLED))
    is_due, is_filled = [st in DUE for st in status_of], [st in FILLED for st in status_of]
    rates = lambda keys, order=(): _rates(keys, is_due, is_filled, order)
    ttf_arr = np.asarray(ttf, dtype=float)
    hours = np.asarray(col(officers_table, "hours"), dtype=float)
    caps = {name: np.asarray(col(officers_table, name), dtype=np.int64)
            for name in ("shifts", "cap_hits", "daily_cap_hits", "weekly_cap_hits", "monthly_cap_hits")}

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
        "agency_title": result.rules.info.title,
        "days": sc.agency.days,
        "first_day": sc.agency.first_day.isoformat(),
        "fill_engine": result.fill_status,
        "requests": {"received": len(result.jobs), "admitted": len(result.jobs) - int(sum(refusals.values())),
                     "refused": int(sum(refusals.values())), "refused_by_rule": dict(sorted(refusals.items()))},
        "shifts": {"total": len(status_of), "due": due, "filled": filled,
                   "by_status": {k: int(status[k]) for k in [*STATUSES, *sorted(set(status) - set(STATUSES))]
                                 if k in status}},
        "fill_rate": round(filled / due, 6) if due else None,
        "fill_rate_by_lead_time": rates(col(shifts_table, "lead_bucket"), [label for _, label in LEAD_BUCKETS]),
        "fill_rate_by_category": rates(col(shifts_table, "category")),
        "fill_rate_by_month": rates((d.month for d in local), range(1, 13)),
        "fill_rate_by_weekday": rates((WEEKDAYS[d.weekday()] for d in local), WEEKDAYS),
        "fill_rate_by_role": rates(col(shifts_table, "role"), ROLES),
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
            "count": len(hours),
            "worked_any": int((caps["shifts"] > 0).sum()),
            "gini_hours": round(gini(hours), 6),
            "mean_hours": round(float(hours.mean()), 4) if len(hours) else 0.0,
            "max_hours": round(float(hours.max()), 4) if len(hours) else 0.0,
        },
        "cap_hits": {"total": int(caps["cap_hits"].sum()),
                     "daily": int(caps["daily_cap_hits"].sum()),
                     "weekly": int(caps["weekly_cap_hits"].sum()),
                     "monthly": int(caps["monthly_cap_hits"].sum()),
                     "officers": int((caps["cap_hits"] > 0).sum())},
        "cash": {"payroll_ahead_of_vendor_payments": money(-low),
                 "peak_day": low_day.isoformat() if low_day else None,
                 "payroll_paid": money(sum((a for _, a in payroll), ZERO)),
                 "vendor_payments_received": money(sum((a for _, a in payments), ZERO))},
        "ledger": {"transactions": ntx, "residual": money(residual), "balanced": residual == 0},
    }
