"""The files of a simulated year (typed Arrow tables, ``summary.json``), assembled from the
rows and running totals its :class:`~offduty_simulations.tally.Tally` gathered as jobs settled.

Nothing here simulates.  Each job's bill is the one the job board made with
:func:`offduty_core.billing.bill` when the job settled; the tally turned it, the vendor's
payment or default and the job's records into shift rows, ledger rows and sums then, and
:func:`offduty_core.payroll.weekly_payroll` over the officers' earnings completes the books.
The summary is made from the tally alone; each table is assembled (rows put back in the order
the requests arrived) the first time it is read, so a sweep that reads only summaries never
builds one.

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
from itertools import compress
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from offduty_core import ledger as L
from offduty_core.money import ZERO, fmt
from offduty_core.payroll import weekly_payroll
from offduty_core.pricing import dec

from . import schema as S
from .memory import paused_gc, system_arrow_pool
from .tally import ModelResult
from .writing import OutFolder

LEAD_BUCKETS = ((24, "<1d"), (72, "1-3d"), (168, "3-7d"), (336, "7-14d"), (720, "14-30d"), (math.inf, ">=30d"))
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


class Tables(Mapping):
    """Tables by name, each assembled the first time it is read (then kept): a sweep reads
    only the summary, so its replications never pay for tables nobody looks at."""

    def __init__(self, makers: dict[str, Callable[[], pa.Table]]):
        self._makers = makers
        self._made: dict[str, pa.Table] = {}

    def __getitem__(self, name: str) -> pa.Table:
        table = self._made.get(name)
        if table is None:
            with system_arrow_pool():
                table = self._made[name] = self._makers[name]()
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


class Outputs:
    """The tables and summary of one replication.

    ``tables`` holds the typed Arrow tables (``shifts``, ``officers``, ``ledger``), written as
    they are, and assembled when first read (:class:`Tables`); :attr:`shifts`,
    :attr:`officers` and :attr:`ledger` are the same tables as pandas frames, made on first
    use: what ``pandas.read_parquet`` gives for the written files."""

    def __init__(self, tables: Mapping[str, pa.Table], summary: dict):
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


def build(result: ModelResult, provenance: dict | None = None) -> Outputs:
    """The tables and summary of a finished run.  ``provenance`` (see :func:`provenance_of`)
    goes into the summary and the files' metadata; without it, the scenario's alone.  The
    result is read, not used up: building twice gives the same tables."""
    with paused_gc(), system_arrow_pool():
        out = _build(result)
    out.summary = {"provenance": provenance or provenance_of(result.scenario), **out.summary}
    return out


def _build(result: ModelResult) -> Outputs:
    tally = result.tally
    tally.finish()  # a result from YearModel.run() is finished already
    rules, clock = result.rules, result.clock
    # Payroll: weekly, over every officer payable in the ledger (only bills post to officers;
    # vendor payments and write-offs do not).
    runs = [run for run in weekly_payroll(tally.earnings(), rules.terms) if run.transaction is not None]
    pay_runs = [(run.pay_date, run.total) for run in runs]
    payroll = _payroll_columns([run.transaction for run in runs])
    del runs  # a large year's payroll is ~100,000 Decimal postings: kept as columns instead
    officers = _officer_columns(result.roster, tally)
    totals = defaultdict(lambda: ZERO, {name: dec(cents) for name, cents in tally.totals.items()})
    payments = [(day, dec(cents)) for day, cents in tally.payments.items()]
    # The ledger's size and balance, from its rows as kept (the table is assembled only if read).
    residual = tally.postings.total("cents") + (pc.sum(payroll["cents"]).as_py() or 0)
    ntx = len(tally.transactions) + len(payroll["memo"])
    summary = _summary(result, _summary_columns(tally, clock.epoch), officers, totals, tally.refusals,
                       tally.times_to_fill(), dec(tally.bad_debt), payments, pay_runs,
                       Decimal(residual).scaleb(-2), ntx)
    summary["requests"]["changes_refused_by_rule"] = dict(sorted(tally.change_refusals.items()))
    summary["billing_failures"] = tally.failures()
    tz = rules.info.tz.key
    return Outputs(Tables({"shifts": lambda: _shifts_table(tally, clock.epoch, tz),
                           "officers": lambda: S.table(S.OFFICERS, officers),
                           "ledger": lambda: _ledger_table(tally, payroll)}), summary)


def _summary_columns(tally, epoch) -> dict[str, pa.Array | np.ndarray]:
    """What the summary reads of every shift row (in the order kept: it only counts them)."""
    rows = tally.shifts
    return {"status": rows.column("status"), "category": rows.column("category"), "role": rows.column("role"),
            "lead_bucket": lead_buckets(rows.column("lead_hours").to_numpy()),
            "start": S.utc_seconds(rows.column("start").to_numpy(), epoch).to_numpy()}


def _shifts_table(tally, epoch, tz: str) -> pa.Table:
    """The shifts table from the tally's rows (times in simulation hours, money in cents),
    put back in the order the requests arrived."""
    rows = tally.shifts
    rows.reorder(np.argsort(rows.column("job").to_numpy(), kind="stable"))  # arrival order, kept so
    col = {name: rows.column(name) for name in rows.schema.names[1:]}
    floats = lambda name: col[name].to_numpy(zero_copy_only=False)
    start, end, posted, filled = floats("start"), floats("end"), floats("posted"), floats("filled")
    lead = floats("lead_hours")
    ttf = np.round(filled - posted, 4)
    at = lambda hours: S.utc_seconds(hours, epoch)
    return S.table(S.shifts_schema(tz), {
        "shift_id": pc.binary_join_element_wise(col["request_id"], pc.cast(col["slot"], pa.string()), "#"),
        "request_id": col["request_id"],
        "slot": col["slot"],
        "agency": col["agency"], "vendor": col["vendor"], "category": col["category"], "source": col["source"],
        "role": col["role"],
        "start": at(start), "end": at(end),
        "hours": np.round(end - start, 4),
        "lead_hours": np.round(lead, 4),
        "lead_bucket": lead_buckets(lead),
        "received": at(floats("received")), "posted": at(posted), "filled": at(filled),
        "time_to_fill_hours": pa.array(ttf, mask=np.isnan(ttf), type=pa.float64()),
        "status": col["status"], "officer": col["officer"], "method": col["method"],
        "awards": col["awards"], "drops": col["drops"],
        "worked_hours": np.round(floats("worked_hours"), 4),
        **{name: col[name] for name in ("vendor_billed", "officer_pay", "request_extras", "card_fee")},
    })


def lead_buckets(hours: np.ndarray) -> pa.Array:
    """:func:`lead_bucket` of every value, as a string array."""
    limits = np.array([limit for limit, _ in LEAD_BUCKETS[:-1]])
    labels = pa.array([label for _, label in LEAD_BUCKETS])
    return labels.take(pa.array(np.searchsorted(limits, hours, side="right")))


def _officer_columns(roster, tally) -> dict[str, list]:
    """The officers table's columns, in roster order."""
    hours, pay, shifts, caps = tally.officer_hours(), tally.officer_pay, tally.officer_shifts, tally.caps
    roster = list(roster)
    counts = [caps.get(o.badge, Counter()) for o in roster]
    return {
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
    }


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


def _payroll_columns(payroll: list[L.Transaction]) -> dict[str, pa.Array]:
    """The payroll's transactions as the ledger's columns: ``date``, ``ref``, ``memo`` and
    ``postings`` (their count) one per transaction, ``account`` and ``cents`` one per posting."""
    postings = [p for t in payroll for p in t.postings]
    return {"date": pa.array([t.date for t in payroll], type=pa.date32()),
            "ref": pa.array([t.ref or None for t in payroll], type=pa.string()),
            "memo": pa.array([t.memo for t in payroll], type=pa.string()),
            "postings": np.array([len(t.postings) for t in payroll], dtype=np.int64),
            "account": pa.array([p.account for p in postings], type=pa.string()),
            "cents": pa.array(_cents([p.amount for p in postings]), type=pa.int64())}


#: Postings taken at a time when a transaction's texts are repeated for its postings.
_SLICE = 8_192


def _ledger_table(tally, payroll: dict[str, pa.Array]) -> pa.Table:
    """The ledger table.

    The jobs' transactions come first, in the order the requests arrived (each job's in the
    order it made them), then the weekly payroll's.  The tally's transactions and postings are
    put in that order where they are kept (:meth:`Columns.reorder
    <offduty_simulations.columns.Columns.reorder>`: in place, a column at a time, so the
    table does not need a second copy of them); a transaction's own columns (date, ref,
    memo) are kept once per transaction and repeated for its postings."""
    txs, postings = tally.transactions, tally.postings
    counts = txs.column("postings").to_numpy().astype(np.int64)
    order = np.argsort(txs.column("job").to_numpy(), kind="stable")
    # Each kept transaction's postings follow the previous one's (transaction k's are first[k]
    # .. first[k] + counts[k] - 1): in arrival order they are read at these positions.
    sorted_counts = counts[order]
    first = np.cumsum(counts) - counts
    starts = np.cumsum(sorted_counts) - sorted_counts
    within = np.arange(int(sorted_counts.sum()), dtype=np.int64) - np.repeat(starts, sorted_counts)
    postings.reorder(np.repeat(first[order], sorted_counts) + within)
    txs.reorder(order)
    del first, starts, within, order  # a large year's positions: let go before the table is made
    all_counts = np.concatenate([sorted_counts, payroll["postings"]])
    tx_at = pa.array(np.repeat(np.arange(len(all_counts), dtype=np.int64), all_counts))

    def joined(rows, name: str) -> pa.ChunkedArray:
        """The kept column, then the payroll's (two chunks: no copy of the first)."""
        return pa.chunked_array([rows.column(name), payroll[name]])

    def per_posting(name: str) -> pa.ChunkedArray:
        """A transaction's value repeated for each of its postings, taken a slice of postings
        at a time: a text column taken whole grows its buffer by doubling, briefly needing up
        to twice its size and keeping what it over-allocated (with the positions and cents
        let go early, a large year's peak 428 -> 389 MB)."""
        column = joined(txs, name).combine_chunks()
        return pa.chunked_array([column.take(tx_at[i:i + _SLICE]) for i in range(0, len(tx_at), _SLICE)],
                                type=column.type)

    return S.table(S.LEDGER, {
        "tx": tx_at,
        "date": per_posting("date"),
        "ref": per_posting("ref"),
        "memo": per_posting("memo"),
        "account": joined(postings, "account"),
        "amount": S.money(joined(postings, "cents").combine_chunks()),  # the cents let go at once
    })


def _rates(keys: Iterable, due: list[bool], filled: list[bool], order: Sequence = ()) -> dict[str, dict]:
    """Shifts due, filled and the fill rate by ``keys`` (one per shift, beside its flags).
    Keys come in their natural ``order`` (months 1-12, Monday first, by lead), others sorted."""
    keys = list(keys)
    n_due, n_filled = Counter(compress(keys, due)), Counter(compress(keys, filled))
    found = [k for k in order if k in n_due] + sorted(k for k in n_due if k not in order)
    return {str(k): {"due": n_due[k], "filled": n_filled[k], "fill_rate": round(n_filled[k] / n_due[k], 6)}
            for k in found}


def _summary(result, shifts, officers, totals, refusals, ttf, bad_debt, payments, payroll, residual, ntx) -> dict:
    """``shifts``: :func:`_summary_columns`; ``officers``: :func:`_officer_columns`."""
    received = result.tally.received
    sc = result.scenario
    col = lambda name: shifts[name].to_pylist()
    status_of = col("status")
    # A shift's local date, worked out once per distinct start (many shifts share one).
    starts, where = np.unique(shifts["start"], return_inverse=True)
    local_date = result.rules.days.local_date
    dates = [local_date(int(t)) for t in starts.tolist()]
    local = [dates[i] for i in where.tolist()]
    status = Counter(status_of)
    due = int(sum(status.get(s, 0) for s in DUE))
    filled = int(sum(status.get(s, 0) for s in FILLED))
    is_due, is_filled = [st in DUE for st in status_of], [st in FILLED for st in status_of]
    rates = lambda keys, order=(): _rates(keys, is_due, is_filled, order)
    ttf_arr = np.asarray(ttf, dtype=float)
    hours = np.asarray(officers["hours"], dtype=float)
    caps = {name: np.asarray(officers[name], dtype=np.int64)
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
        "requests": {"received": received, "admitted": received - int(sum(refusals.values())),
                     "refused": int(sum(refusals.values())), "refused_by_rule": dict(sorted(refusals.items()))},
        "shifts": {"total": len(status_of), "due": due, "filled": filled,
                   "by_status": {k: int(status[k]) for k in [*STATUSES, *sorted(set(status) - set(STATUSES))]
                                 if k in status}},
        "fill_rate": round(filled / due, 6) if due else None,
        "fill_rate_by_lead_time": rates(col("lead_bucket"), [label for _, label in LEAD_BUCKETS]),
        "fill_rate_by_category": rates(col("category")),
        "fill_rate_by_month": rates((d.month for d in local), range(1, 13)),
        "fill_rate_by_weekday": rates((WEEKDAYS[d.weekday()] for d in local), WEEKDAYS),
        "fill_rate_by_role": rates(col("role"), ROLES),
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
