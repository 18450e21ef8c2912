"""A year's outputs gathered as it runs: each job's records become rows when it settles.

The model hands every record to :class:`Tally` as the board makes it (:meth:`Tally.add`:
what a record says of its job's slots is noted at once, while the record is fresh, so a job
keeps a few numbers, not its records) and says when a job has settled (:meth:`Tally.settle`,
at its ``Billed`` or ``BillingFailed`` record, or at once for a request refused on
submission).  The job is then turned into its shift rows, its ledger transactions (integer
cents, from the bill's entries) and running totals, and dropped with the bill: a year keeps
compact Arrow columns (:class:`~offduty_simulations.columns.Columns`) and sums, not every
record, job and bill until the end.  :mod:`offduty_simulations.outputs` assembles the files
from them.

Rows are tagged with the job's arrival number and put back in arrival order when the tables
are assembled, and sums whose float rounding depends on their order (hours worked, times to
fill) are kept as logs tagged the same way (in record order within a job), so the files are
byte-identical to those made by walking every record after the run.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from offduty_core import ledger as L
from offduty_core.payroll import week_of
from offduty_core.pricing import Line

from . import fill as F
from .columns import Columns

CHARGE_RULES = (":cancellation.", ":start-change.", ":reduction.")
WRITE_OFF_DAYS = 90  # an unpaid invoice is written off this many days after it was issued
NAN = math.nan
OFFICER_PAYABLE = L.OFFICER_PAYABLE + ":"
_MAX_SHAPES = 50_000  # shapes summed (Tally._sum_shape) kept at most; a year has a few thousand


class Record(NamedTuple):
    """Something the behavioural model did (immutable): ``cap_hit`` (an officer who wanted a
    shift was over a cap: ``note`` the rule), ``paid`` (``a``: the day, in hours; ``note``: the
    method), ``defaulted``."""

    t: float
    kind: str
    job: str
    slot: int = -1
    officer: str = ""
    a: float = math.nan
    note: str = ""


#: A shift row as it is kept: ``job`` (arrival number, for the order), then the columns of
#: the shifts table before derived ones (times in simulation hours, money in integer cents).
SHIFT_ROWS = pa.schema([
    ("job", pa.int64()), ("request_id", pa.string()), ("agency", pa.string()), ("vendor", pa.string()),
    ("category", pa.string()), ("source", pa.string()), ("slot", pa.int32()), ("role", pa.string()),
    ("start", pa.float64()), ("end", pa.float64()), ("lead_hours", pa.float64()), ("received", pa.float64()),
    ("posted", pa.float64()), ("filled", pa.float64()), ("status", pa.string()), ("officer", pa.string()),
    ("method", pa.string()), ("awards", pa.int32()), ("drops", pa.int32()), ("worked_hours", pa.float64()),
    ("vendor_billed", pa.int64()), ("officer_pay", pa.int64()), ("request_extras", pa.int64()),
    ("card_fee", pa.int64()),
])
#: A ledger transaction as it is kept; its ``postings`` follow in :data:`POSTING_ROWS`, in order.
TRANSACTION_ROWS = pa.schema([("job", pa.int64()), ("date", pa.date32()), ("ref", pa.string()),
                              ("memo", pa.string()), ("postings", pa.int32())])
POSTING_ROWS = pa.schema([("account", pa.string()), ("cents", pa.int64())])


class Earned(NamedTuple):
    """Officer pay earned on one day, as :func:`offduty_core.payroll.weekly_payroll` reads a
    transaction (``date``, ``postings`` with ``account`` and ``amount``): a year's earnings
    summed by day and officer as they settle, so payroll needs no bill kept."""

    date: date
    postings: tuple


class Leg(NamedTuple):
    account: str
    amount: Decimal


class _Open:
    """A job received and not yet settled: its arrival ``number``, its rows' ``head``
    (request id, agency, vendor, category, source), the ``job``, and what its records have
    said so far: its slots' roles and columns (``slots``, None until it is approved), its
    ``bill``, and the rule that ``refused`` it on submission."""

    __slots__ = ("number", "head", "job", "roles", "slots", "bill", "refused")

    def __init__(self, number: int, head: tuple, job):
        self.number, self.head, self.job = number, head, job
        self.roles: tuple = ()
        self.slots: list | None = None
        self.bill = None
        self.refused = ""


class ModelResult(NamedTuple):
    """What a finished run leaves: the scenario and rules it ran, its roster and clock, and
    its :class:`Tally` (rows and running totals; no record, job or bill is kept)."""

    scenario: Any
    rules: Any
    tally: "Tally"
    roster: Any
    clock: Any
    fill_status: str


class Tally:
    """The rows and running totals of one run (see the module docstring)."""

    def __init__(self, rules, clock):
        self.agency = rules.name
        self.clock = clock
        self.received = 0  # requests received
        self._jobs: dict[str, _Open] = {}  # received, not settled
        self._settled = 0
        self.shifts = Columns(SHIFT_ROWS)
        self.transactions = Columns(TRANSACTION_ROWS)
        self.postings = Columns(POSTING_ROWS)
        self.refusals: Counter = Counter()  # requests refused on submission, by rule
        self.change_refusals: Counter = Counter()  # later inputs refused, by rule
        self.billing_failures: list[tuple[int, str]] = []  # (job number, text)
        self.totals: dict[str, int] = defaultdict(int)  # cents
        self.bad_debt = 0  # cents
        self.payments: dict[date, int] = defaultdict(int)  # vendor payments received by day, cents
        self.officer_pay: dict[str, int] = defaultdict(int)  # cents ("" for a line naming nobody)
        self.officer_shifts: Counter = Counter()
        self.caps: dict[str, Counter] = defaultdict(Counter)  # badge -> cap rule -> hits
        # Logs whose sums are float and so depend on order: kept with the job's number.
        self.worked_job, self.worked_hours, self.worked_badge = array("q"), array("d"), []
        self.ttf_job, self.ttf = array("q"), array("d")
        # Officer pay earned, by payroll week and payable account (the one account string
        # kept per officer), in cents: all payroll needs of the bills.
        self._earned: dict[date, dict[str, int]] = {}
        self._week_of: dict[date, date] = {}
        self._accounts: dict[str, str] = {}
        self._week_start = rules.terms.payroll_week_start
        self._pay_days: dict[float, date] = {}
        self._charge_rules: dict[str, bool] = {}
        self._shape_sums: dict[int, tuple] = {}  # id(shape) -> _sum_shape
        self._finished = False

    # --- fed by the model -------------------------------------------------------------------

    def receive(self, job) -> None:
        """A request arrives (before it is submitted): its number and row head are noted."""
        req = job.request
        self._jobs[job.id] = _Open(self.received, (job.id, self.agency, req.vendor, req.category, job.source), job)
        self.received += 1

    def add(self, records: list) -> None:
        """The board's new records (each call's, in the order it made them), read as they come:
        each sets what it says on its job's slots (see :class:`_Open`), so a job keeps a few
        numbers and words until it settles, not its records.  A record that changes no column
        (an offer, an application, ...: most of them) is passed over by its class alone."""
        jobs, hours, read = self._jobs, self.clock.hours, _READ
        for r in records:
            t = r.__class__
            if t not in read:  # offers, applications, alerts, ... change no column
                continue
            o = jobs.get(r.request_id)
            if o is None:
                raise RuntimeError(f"a {t.__name__} record for {r.request_id}, which is not a request "
                                   f"awaiting settlement")
            if t is _POSTED:
                d = o.slots[r.slot]
                if d[0] != d[0]:
                    d[0] = hours(r.at)
                d[4] = r.method
            elif t is _AWARDED:
                d = o.slots[r.slot]
                d[5] += 1
                d[3] = r.badge
                d[2] = "filled"
                if d[1] != d[1]:
                    d[1] = hours(r.at)
                    self.ttf_job.append(o.number)
                    self.ttf.append(d[1] - d[0])
            elif t is _CLOCKED:
                d = o.slots[r.slot]
                d[2] = "worked"
                worked = (r.clock_out - r.clock_in).total_seconds() / 3600.0
                d[7] = worked
                self.worked_job.append(o.number)
                self.worked_hours.append(worked)
                self.worked_badge.append(r.badge)
                self.officer_shifts[r.badge] += 1
            elif t is _BILLED:
                o.bill = r.bill
            elif t is _APPROVED:
                job = o.job
                o.roles = r.roles
                # Per slot: posted, filled, status, officer, method, awards, drops, worked, start, end, released.
                o.slots = [[NAN, NAN, "open", "", "", 0, 0, 0.0, job.start, job.end, False] for _ in r.roles]
            elif t is _REFUSED:
                if o.slots is None:  # refused on submission: nothing more will happen
                    o.refused = r.rule
                    self.settle(r.request_id)
                else:
                    self.change_refusals[r.rule] += 1
            elif t is _BILLING_FAILED:
                self.billing_failures.append((o.number, f"{o.job.id}: {r.reason}"))
            else:
                _slot_change(o.slots[r.slot], r, hours)

    def record(self, r: Record) -> None:
        """A model record: a cap hit is counted now; payments come with :meth:`settle`."""
        if r.kind == "cap_hit":
            self.caps[r.officer][r.note] += 1
        else:
            raise ValueError(f"a {r.kind!r} record is given to settle(), not record()")

    def settle(self, rid: str, payment: Record | None = None) -> None:
        """The job ``rid`` has settled (``payment``: the vendor's ``paid`` or ``defaulted``
        record, if any): its rows and sums are made and what it kept is dropped."""
        self._settle(self._jobs.pop(rid), payment)
        self._settled += 1
        if self._settled % 256 == 0:
            self.shifts.tick()
            self.transactions.tick()
            self.postings.tick()

    def finish(self) -> None:
        """The run is over: any job still unsettled is tallied as it stands, in arrival
        order (none is, when the run went to its end), and the buffers are flushed."""
        if self._finished:
            return
        for rid in sorted(self._jobs, key=lambda rid: self._jobs[rid].number):
            self.settle(rid)
        for columns in (self.shifts, self.transactions, self.postings):
            columns.flush()
        self._finished = True

    # --- one job ----------------------------------------------------------------------------

    def _settle(self, o: "_Open", payment: Record | None) -> None:
        number, head, job, slots = o.number, o.head, o.job, o.slots
        lead = job.lead_hours
        if slots is None:
            self.refusals[o.refused] += 1
            row = (job.start, job.end, lead, job.received, NAN, NAN, "refused", None, None, 0, 0, 0.0, 0, 0, 0, 0)
            self.shifts.extend([(number, *head, i, "officer", *row) for i in range(job.request.position_count)])
            return
        n = len(slots)
        vendor_c, pay_c, paid, request_c = [0] * n, [0] * n, [None] * n, [0, 0]
        if o.bill is not None:
            self._bill(number, job, o.bill, vendor_c, pay_c, paid, request_c, payment)
        rows = []
        for i, role in enumerate(o.roles):
            posted, filled, status, officer, method, awards, drops, worked, start, end, released = slots[i]
            if status == "worked" and released:
                status = "released"
            # The officer who held the slot last, or (a slot cancelled after a drop, say) the one
            # its pay lines name: every shift that paid an officer says whom.
            officer = officer or paid[i]
            first = i == 0
            rows.append((number, *head, i, role, start, end, lead, job.received, posted, filled, status,
                         officer or None, method or None, awards, drops, worked, vendor_c[i], pay_c[i],
                         request_c[0] if first else 0, request_c[1] if first else 0))
        self.shifts.extend(rows)

    def _bill(self, number: int, job, bill, vendor_c: list, pay_c: list, paid: list, request_c: list,
              payment: Record | None) -> None:
        """A job's bill: its totals, its lines on the shift rows, its ledger entries (and the
        vendor's payment or write-off after them), and its officers' earnings for payroll."""
        totals, c = self.totals, bill.cents
        totals["vendor"] += c["vendor"]
        totals["officer"] += c["officer"]
        totals["city"] += c["city"]
        totals["admin_fee"] += c["fee"]
        totals["card_fee"] += c["card"]
        totals["absorbed"] += c["officer"] - c["share"]
        # The shift rows' money: each slot's own lines, read from its charges' priced shapes
        # (a year prices a few thousand shapes, summed here once each: see _shape_sums); a
        # request's lines without a slot (its card fee, per-request extras) on its first row.
        officer_pay, sums = self.officer_pay, self._shape_sums
        for slot, charge, shape, _ in bill.priced:
            found = sums.get(id(shape))
            if found is None or found[0] is not shape:
                found = self._sum_shape(shape)
            i = slot.index
            vendor_c[i] += shape.vendor
            if found[1]:  # the shape has officer lines (perhaps of 0 cents): they name the officer
                officer = charge.officer
                officer_pay[officer or ""] += shape.pay
                pay_c[i] += shape.pay
                paid[i] = officer
            for key, cents in found[2]:
                totals[key] += cents
        is_charge = self._is_charge
        for line in bill.request_lines:
            if is_charge(line):
                totals["cancel_" + line.party] += line.cents
                if line.party == "vendor":
                    totals["cancel_fee"] += line.fee_cents
            if line.party == "vendor":
                if line.card_cents:
                    request_c[1] += line.cents
                else:
                    request_c[0] += line.cents
            elif line.party == "officer":  # pragma: no cover - a request's own lines are the vendor's and city's
                officer_pay[line.officer or ""] += line.cents
        add_tx, add_postings = self.transactions.append, self.postings.append_many
        for day, memo, ref, legs in bill.entries:
            add_tx((number, day, ref or None, memo, len(legs)))
            add_postings(legs)
            for account, cents in legs:
                if account.startswith(OFFICER_PAYABLE):
                    self._earn(day, account, cents)
        if payment is None:
            return
        total = c["vendor"]
        if payment.kind == "paid":
            day = self._pay_days.get(payment.a)
            if day is None:
                day = self._pay_days[payment.a] = self.clock.at(payment.a).date()
            e = payment_entry(job.id, job.request.vendor, day, total, payment.note)
            self.payments[day] += total
        else:
            e = write_off_entry(job.id, job.request.vendor, self.clock.at(payment.t).date(), total)
            self.bad_debt += total
        add_tx((number, e.date, e.ref, e.memo, len(e.legs)))
        add_postings(e.legs)

    def _is_charge(self, line) -> bool:
        """Whether ``line`` is a cancellation, start-change or reduction charge's (by its rule)."""
        rule = line.rule
        charge = self._charge_rules.get(rule)
        if charge is None:
            charge = self._charge_rules[rule] = any(tag in rule for tag in CHARGE_RULES)
        return charge

    def _sum_shape(self, shape) -> tuple:
        """What a priced shape's lines add to a job's sums, whatever slot and officer they are
        for: ``(shape, has officer lines, ((totals key, cents), ...))``, the charge totals in
        line order.  Kept by the shape's identity (the shape is kept too, so its id is not
        reused); shapes are shared by every charge priced alike."""
        sums = self._shape_sums
        if len(sums) >= _MAX_SHAPES:
            sums.clear()
        has_officer, adds = False, []
        for head, tail in shape.lines:
            line = Line._make((*head, None, None, None, *tail))
            if line.party == "officer":
                has_officer = True
            if self._is_charge(line):
                adds.append(("cancel_" + line.party, line.cents))
                if line.party == "vendor":
                    adds.append(("cancel_fee", line.fee_cents))
        found = sums[id(shape)] = (shape, has_officer, tuple(adds))
        return found

    def _earn(self, day: date, account: str, cents: int) -> None:
        week = self._week_of.get(day)
        if week is None:
            week = self._week_of[day] = week_of(day, self._week_start)
        by_account = self._earned.get(week)
        if by_account is None:
            by_account = self._earned[week] = {}
        account = self._accounts.setdefault(account, account)
        by_account[account] = by_account.get(account, 0) + cents

    # --- read when the tables are assembled ---------------------------------------------------

    def earnings(self) -> list[Earned]:
        """Officer earnings by payroll week (dated its first day), as
        :func:`~offduty_core.payroll.weekly_payroll` takes transactions: it sums each officer's
        payable postings by week, so the week's sum is the sum of the bills' postings."""
        return [Earned(week, tuple(Leg(account, Decimal(cents).scaleb(-2)) for account, cents in by_account.items()))
                for week, by_account in self._earned.items()]

    def in_order(self, jobs: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``values`` logged with their jobs' numbers, in arrival order (stable within a job)."""
        return np.asarray(values)[np.argsort(np.asarray(jobs), kind="stable")]

    def officer_hours(self) -> dict[str, float]:
        """Hours clocked by officer, summed in the order the shifts' jobs arrived."""
        order = np.argsort(np.asarray(self.worked_job), kind="stable")
        hours: dict[str, float] = defaultdict(float)
        worked, badges = self.worked_hours, self.worked_badge
        for i in order.tolist():
            hours[badges[i]] += worked[i]
        return hours

    def times_to_fill(self) -> np.ndarray:
        return self.in_order(self.ttf_job, self.ttf)

    def failures(self) -> list[str]:
        return [text for _, text in sorted(self.billing_failures, key=lambda f: f[0])]


def payment_entry(ref: str, vendor: str, day: date, cents: int, method: str) -> L.Entry:
    """A vendor's payment of a bill's total (a positive whole number of ``cents``): cash in,
    the receivable down, as :func:`offduty_core.terms.payment_transaction` makes it (a test
    keeps the two equal)."""
    return L.Entry(day, f"payment for {ref} by {method}", f"payment:{ref}",
                   ((L.CASH, cents), (L.account(L.RECEIVABLE, vendor), -cents)))


def write_off_entry(ref: str, vendor: str, issued: date, cents: int) -> L.Entry:
    """An unpaid bill written off :data:`WRITE_OFF_DAYS` after ``issued``."""
    return L.Entry(issued + timedelta(days=WRITE_OFF_DAYS), f"{ref}: written off unpaid", f"payment:{ref}",
                   ((L.BAD_DEBT, cents), (L.account(L.RECEIVABLE, vendor), -cents)))


_SLOT_CHANGES = frozenset({F.Dropped, F.StartChanged, F.Cancelled, F.ShiftUnfilled, F.NoShowReported,
                           F.ReleasedEarly})
_REFUSED, _BILLING_FAILED = F.Refused, F.BillingFailed
_POSTED, _AWARDED, _CLOCKED, _APPROVED, _BILLED = F.Posted, F.Awarded, F.Clocked, F.Approved, F.Billed
#: The records :meth:`Tally.add` reads (the others -- offers, applications, alerts, ... --
#: change no column and are passed over unread).
_READ = frozenset({_POSTED, _AWARDED, _CLOCKED, _BILLED, _APPROVED, _REFUSED, _BILLING_FAILED, *_SLOT_CHANGES})


def _slot_change(d: list, r, hours) -> None:
    """Apply one of a slot's less common records (a drop, a start change, a cancellation, ...)
    to its columns ``d`` (see :meth:`Tally.add` for their fields)."""
    t = type(r)
    if t is F.Dropped:
        d[6] += 1
        d[3] = ""
        d[2] = "open"
    elif t is F.StartChanged:
        d[8], d[9] = hours(r.start), hours(r.end)
        if not r.kept:
            d[3] = ""
            d[2] = "open"
    elif t is F.Cancelled:
        if d[2] != "filled" or not r.note.startswith("after the start"):
            d[2] = "cancelled"
    elif t is F.ShiftUnfilled:
        d[2] = "unfilled"
        d[3] = ""
    elif t is F.NoShowReported:
        d[2] = "no_show"
    elif t is F.ReleasedEarly:
        d[10] = True
