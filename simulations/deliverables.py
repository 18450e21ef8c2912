"""What the coordinator hands to finance: ``invoices.csv``, ``payroll.csv`` and ``city.csv``.

All three are read off one run's ledger, the single source of truth for money: the bills'
transactions (one per request slot, ``ref`` ``request#slot``), the vendors' payments and
write-offs (``ref`` ``payment:request``) and the weekly payroll runs.  Invoices and payroll
weeks are the core's own :func:`offduty_core.terms.invoices` and
:func:`offduty_core.payroll.weekly_payroll` over the bills, so a CSV and the ledger cannot
disagree on what an invoice or a pay week is.  The ledger frame is read as data -- an amount
is whatever the frame holds (text or a decimal), a date a date or a timestamp -- so a change
in how the Parquet files type their columns does not change a figure.  The tables may be
pyarrow tables (``offduty simulate`` hands over the ones it writes, so writing the CSVs does
not import pandas) or pandas frames (as ``pandas.read_parquet`` gives them).  :func:`read`
checks every transaction balances in Arrow and makes Python objects only of the postings a CSV
reads (a large year's ledger is over half a million rows), and rows are written as they are
made, so the step's time and memory stay a fraction of the run's.

Money is written as exact decimal strings with two places (``"1234.50"``).  The totals tie
to ``summary.json``: invoices' ``total`` to ``money.vendor_billed``, ``card_fee`` to
``money.card_fee``, paid totals to ``cash.vendor_payments_received``, written-off totals to
``money.bad_debt``; payroll's ``gross_pay`` to ``money.officer_pay`` and
``cash.payroll_paid``; the city's ``owed`` to ``money.city``.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from offduty_core import ledger as L
from offduty_core.money import ZERO, fmt
from offduty_core.payroll import week_of, weekly_payroll
from offduty_core.spec import PaymentTerms
from offduty_core.terms import Payment, invoices, late_charges

INVOICE_COLUMNS = ("invoice", "request_id", "vendor", "issued", "due", "subtotal", "card_fee", "total", "status",
                   "paid", "written_off", "late_charge")
PAYROLL_COLUMNS = ("badge", "week_start", "week_end", "pay_date", "hours", "gross_pay")
CITY_COLUMNS = ("city", "month", "owed")
FILES = ("invoices.csv", "payroll.csv", "city.csv")
#: Refs of transactions that are not a bill's: a vendor's payment or write-off, a payroll run,
#: a late charge.
NOT_BILLS = ("payment:", "payroll:", "late:")


def _amount(value) -> Decimal:
    """A ledger amount as a Decimal, whether the table holds it as text or as a decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _column(table: Any, name: str) -> list:
    """Column ``name`` of a pyarrow table or a pandas frame as Python values (nulls as None)."""
    if hasattr(table, "schema") and hasattr(table, "column"):  # pyarrow
        return table.column(name).to_pylist()
    values = table[name].astype(object).tolist()
    return [None if v is None or v != v else v for v in values]  # NaN, NaT -> None


def _day(value) -> date:
    """A local calendar date from a ledger date: a date, a (zoned) datetime or timestamp, or text."""
    if isinstance(value, datetime):  # pandas' Timestamp is one too
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def transactions(ledger: Any) -> list[L.Transaction]:
    """The ledger table's transactions again (one per ``tx``), postings in table order."""
    if not len(ledger):
        return []
    grouped: dict[int, list] = {}
    for tx, day, ref, memo, account, amount in zip(*(_column(ledger, c) for c in (
            "tx", "date", "ref", "memo", "account", "amount"))):
        entry = grouped.get(tx)
        if entry is None:
            entry = grouped[tx] = [_day(day), "" if ref is None else str(ref), str(memo), []]
        entry[3].append(L.Posting(account=str(account), amount=_amount(amount)))
    return [L.Transaction(date=day, ref=ref, memo=memo, postings=postings)
            for day, ref, memo, postings in (grouped[k] for k in sorted(grouped))]


class Read(NamedTuple):
    """A ledger transaction as the CSVs read it: its date, its ref and only the postings some
    CSV reads (see :func:`read`).  The core's invoice and payroll functions take it as they
    take a :class:`~offduty_core.ledger.Transaction`; it is not one, since it need not balance."""

    date: date
    ref: str
    postings: tuple[L.Posting, ...]


def _cents_table(ledger: Any) -> pa.Table:
    """The ledger's ``tx``, ``date``, ``ref``, ``memo``, ``account`` and ``cents`` (int64) as an
    Arrow table, from a pyarrow table (decimal amounts, dates: computed in Arrow) or from a
    pandas frame or a table typed otherwise (read value by value, as :func:`transactions` does)."""
    arrow = hasattr(ledger, "schema") and hasattr(ledger, "column")
    if arrow and pa.types.is_decimal(ledger.schema.field("amount").type) and pa.types.is_date32(
            ledger.schema.field("date").type):
        hundred = pa.scalar(Decimal(100), pa.decimal128(3, 0))
        cents = pc.cast(pc.multiply(ledger.column("amount"), hundred), pa.int64())  # refuses a part cent
        return pa.table({"tx": ledger.column("tx"), "date": ledger.column("date"), "ref": ledger.column("ref"),
                         "memo": ledger.column("memo"), "account": ledger.column("account"), "cents": cents})
    amounts = {}
    for value in set(map(str, _column(ledger, "amount"))):
        c = _amount(value).scaleb(2)
        if c != c.to_integral_value():
            raise ValueError(f"ledger amount {value} is not a whole number of cents")
        amounts[value] = int(c)
    return pa.table({"tx": pa.array(_column(ledger, "tx"), pa.int64()),
                     "date": pa.array([_day(d) for d in _column(ledger, "date")], pa.date32()),
                     "ref": pa.array(_column(ledger, "ref"), pa.string()),
                     "memo": pa.array(map(str, _column(ledger, "memo")), pa.string()),
                     "account": pa.array(map(str, _column(ledger, "account")), pa.string()),
                     "cents": pa.array([amounts[str(a)] for a in _column(ledger, "amount")], pa.int64())})


def _checked(table: pa.Table) -> None:
    """Refuse a ledger with a transaction whose postings do not sum to zero (naming its memo),
    before any of its postings are dropped."""
    sums = table.group_by("tx").aggregate([("cents", "sum")])
    off = pc.not_equal(sums.column("cents_sum"), 0)
    if pc.any(off).as_py():
        tx = pc.filter(sums.column("tx"), off)[0]
        row = pc.index(table.column("tx"), tx).as_py()
        residual = pc.filter(sums.column("cents_sum"), off)[0].as_py()
        raise L.UnbalancedError(table.column("memo")[row].as_py(), str(Decimal(residual).scaleb(-2)))


def read(ledger: Any) -> tuple[list[Read], date | None]:
    """The ledger's transactions as the three CSVs read them, and the ledger's last day.

    Every transaction is checked to balance; then only the postings a CSV reads are made into
    Python objects: a bill's receivable, card-fee and officer postings, a payment's cash and
    bad-debt ones and every city posting (a large year's admin fees, its payroll runs and the
    receivable side of its payments are left in Arrow).  Transactions keep the ledger's order
    and their postings the table's."""
    if not len(ledger):
        return [], None
    table = _cents_table(ledger)
    _checked(table)
    last_day = pc.max(table.column("date")).as_py()
    ref, account = pc.fill_null(table.column("ref"), ""), table.column("account")
    begins = pc.starts_with
    not_bill = pc.equal(ref, "")
    for prefix in NOT_BILLS:
        not_bill = pc.or_(not_bill, begins(ref, prefix))
    bill_account = pc.or_(pc.or_(begins(account, L.RECEIVABLE + ":"), begins(account, L.OFFICER_PAYABLE + ":")),
                          pc.or_(pc.equal(account, L.CARD_FEE), begins(account, L.CARD_FEE + ":")))
    payment_account = pc.and_(begins(ref, "payment:"), pc.is_in(account, pa.array([L.CASH, L.BAD_DEBT])))
    keep = pc.or_(pc.or_(pc.and_(pc.invert(not_bill), bill_account), payment_account),
                  begins(account, L.CITY_PAYABLE + ":"))
    kept = table.select(["tx", "date", "ref", "account", "cents"]).filter(keep)
    if not len(kept):
        return [], last_day
    tx = kept.column("tx").to_numpy()
    if (np.diff(tx) < 0).any():  # a table not in transaction order (offduty's own are)
        kept = kept.take(pc.sort_indices(kept, [("tx", "ascending")]))  # stable: postings keep table order
        tx = kept.column("tx").to_numpy()
    starts = np.flatnonzero(np.diff(tx, prepend=tx[0] - 1))
    heads = kept.take(pa.array(starts))
    # A year's kept postings repeat a few thousand (account, cents) pairs: each becomes one
    # Posting, shared by every transaction that posts it.
    accounts = pc.dictionary_encode(kept.column("account")).combine_chunks()
    pairs, at = np.unique(np.stack([accounts.indices.to_numpy().astype(np.int64), kept.column("cents").to_numpy()], 1),
                          axis=0, return_inverse=True)
    names = accounts.dictionary.to_pylist()
    postings = [L.cent_posting(names[a], c) for a, c in pairs.tolist()]
    at = [postings[i] for i in at.reshape(-1).tolist()]
    bounds = starts.tolist() + [len(tx)]
    return [Read(day, "" if ref_ is None else ref_, tuple(at[bounds[k]:bounds[k + 1]]))
            for k, (day, ref_) in enumerate(zip(heads.column("date").to_pylist(), heads.column("ref").to_pylist()))
            ], last_day


def _is_bill(tx: L.Transaction) -> bool:
    return bool(tx.ref) and not tx.ref.startswith(NOT_BILLS)


def iter_invoice_rows(txs: list[L.Transaction], terms: PaymentTerms, last_day: date | None = None) -> Iterator[dict]:
    """One row per vendor invoice, numbered in order of issue (then request id).

    ``late_charge`` is what the terms' monthly charge comes to on the unpaid principal up to
    the day the invoice was paid (or written off; for one still open, the ledger's last day).
    The simulated books do not post it (vendors are drawn to pay the invoice's total), so it
    is not in the summary's money: it is what the operator could bill on top.  ``last_day``: the
    ledger's last day when ``txs`` are not all of it (as :func:`read` gives them); by default theirs."""
    bills = [tx for tx in txs if _is_bill(tx)]
    card: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for tx in bills:
        for p in tx.postings:
            if p.account == L.CARD_FEE or p.account.startswith(L.CARD_FEE + ":"):
                card[tx.ref.split("#")[0]] -= p.amount
    paid: dict[str, date] = {}
    written_off: dict[str, date] = {}
    for tx in txs:
        if tx.ref.startswith("payment:"):
            ref = tx.ref[len("payment:"):]
            for p in tx.postings:
                if p.account == L.CASH and p.amount > 0:
                    paid[ref] = max(paid.get(ref, tx.date), tx.date)
                elif p.account == L.BAD_DEBT and p.amount > 0:
                    written_off[ref] = tx.date
    if last_day is None:
        last_day = max((tx.date for tx in txs), default=None)
    found = sorted(invoices(bills, terms), key=lambda inv: (inv.issued, inv.ref, inv.vendor))
    for number, inv in enumerate(found, 1):
        payments: list[Payment] = []
        if inv.ref in paid:
            status, as_of = "paid", paid[inv.ref]
            if inv.amount > 0:
                payments.append(Payment(ref=inv.ref, vendor=inv.vendor, day=as_of, amount=inv.amount))
        elif inv.ref in written_off:
            status, as_of = "written_off", written_off[inv.ref]
        else:
            status, as_of = "open", last_day
        late = sum((-p.amount for tx in late_charges(inv, payments, as_of, terms) for p in tx.postings
                    if p.account == L.LATE_CHARGE), ZERO)
        fee = card.get(inv.ref, ZERO)
        yield {"invoice": f"INV-{number:06d}", "request_id": inv.ref, "vendor": inv.vendor,
               "issued": inv.issued.isoformat(), "due": inv.due.isoformat(), "subtotal": fmt(inv.amount - fee),
               "card_fee": fmt(fee), "total": fmt(inv.amount), "status": status,
               "paid": paid[inv.ref].isoformat() if status == "paid" else "",
               "written_off": written_off[inv.ref].isoformat() if status == "written_off" else "",
               "late_charge": fmt(late)}


def invoice_rows(txs: list[L.Transaction], terms: PaymentTerms, last_day: date | None = None) -> list[dict]:
    """:func:`iter_invoice_rows` as a list."""
    return list(iter_invoice_rows(txs, terms, last_day))


def _officer_of(account: str) -> str | None:
    prefix = L.OFFICER_PAYABLE + ":"
    return account[len(prefix):] if account.startswith(prefix) else None


def iter_payroll_rows(txs: list[L.Transaction], shifts: Any, terms: PaymentTerms) -> Iterator[dict]:
    """One row per officer per pay week: gross pay from :func:`weekly_payroll` over the
    bills, hours the hours clocked on the shifts that pay is for (a shift's hours count in the
    week its pay was earned; pay with no hours clocked -- a cancellation's, a no-show's
    minimum -- has none)."""
    bills = [tx for tx in txs if _is_bill(tx)]
    earned_week: dict[tuple[str, str], date] = {}  # (shift ref, badge) -> payroll week
    for tx in bills:
        for p in tx.postings:
            badge = _officer_of(p.account)
            if badge is not None:
                earned_week.setdefault((tx.ref, badge), week_of(tx.date, terms.payroll_week_start))
    hours: dict[tuple[str, date], float] = defaultdict(float)
    if len(shifts):
        for ref, badge, h in zip(*(_column(shifts, c) for c in ("shift_id", "officer", "worked_hours"))):
            h = float(h) if h is not None else 0.0
            if h > 0:
                week = earned_week.get((str(ref), str(badge)))
                if week is not None:
                    hours[(str(badge), week)] += h
    pay: dict[tuple[str, date], Decimal] = {}
    for run in weekly_payroll(bills, terms):
        for badge, amount in run.officers:
            pay[(badge, run.week_start)] = amount
    for badge, week in sorted(set(pay) | set(hours), key=lambda k: (k[1], _badge_key(k[0]))):
        end = week + timedelta(days=6)
        yield {"badge": badge, "week_start": week.isoformat(), "week_end": end.isoformat(),
               "pay_date": (end + timedelta(days=terms.payroll_pay_days_after)).isoformat(),
               "hours": f"{hours.get((badge, week), 0.0):.2f}", "gross_pay": fmt(pay.get((badge, week), ZERO))}


def payroll_rows(txs: list[L.Transaction], shifts: Any, terms: PaymentTerms) -> list[dict]:
    """:func:`iter_payroll_rows` as a list."""
    return list(iter_payroll_rows(txs, shifts, terms))


def _badge_key(badge: str):
    return (0, int(badge), badge) if badge.isdigit() else (1, 0, badge)


def city_rows(txs: Iterable[L.Transaction]) -> list[dict]:
    """What is owed to each city per calendar month of the work (its payable postings)."""
    prefix = L.CITY_PAYABLE + ":"
    owed: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for tx in txs:
        for p in tx.postings:
            if p.account.startswith(prefix):
                owed[(p.account[len(prefix):], f"{tx.date.year:04d}-{tx.date.month:02d}")] -= p.amount
    return [{"city": city, "month": month, "owed": fmt(amount)} for (city, month), amount in sorted(owed.items())]


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    """Whole or not at all: a temporary file beside ``path``, moved into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write(out: str | Path, ledger: Any, shifts: Any, terms: PaymentTerms) -> list[Path]:
    """Write ``invoices.csv``, ``payroll.csv`` and ``city.csv`` into the folder ``out`` from
    one run's ledger and shifts tables (pyarrow tables or pandas frames); ``terms`` are the rules' payment terms the run used."""
    out = Path(out)
    txs, last_day = read(ledger)
    # Rows are written as they are made: a large year's invoice and payroll rows as lists
    # would each be tens of MB of dicts.
    tables = {"invoices.csv": (INVOICE_COLUMNS, lambda: iter_invoice_rows(txs, terms, last_day)),
              "payroll.csv": (PAYROLL_COLUMNS, lambda: iter_payroll_rows(txs, shifts, terms)),
              "city.csv": (CITY_COLUMNS, lambda: city_rows(txs))}
    paths = []
    for name, (columns, rows) in tables.items():
        _write_csv(out / name, columns, rows())
        paths.append(out / name)
    return paths
