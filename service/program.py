"""A live program in memory: the one :class:`~offduty_core.lifecycle.JobBoard`, rebuilt from the
inputs log and moved on by each new input.

The log is the truth.  :meth:`Program.apply` is the only way in, for a new input and for one
read back from the log, so replaying the log from the start gives the very same records.  Three
kinds of input are the service's own, not the board's:

- ``roster``: a roster CSV imported (the board goes on with it: :meth:`JobBoard.replace_roster`);
- ``clock_in``: an officer clocks in (kept until the clock-out, which the board takes as one
  ``ClockShift`` with both times);
- ``assign``: a coordinator assigns an officer by hand, with a reason (checked for eligibility
  like any award).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Mapping

from offduty_core.board_records import Record
from offduty_core.errors import InputError
from offduty_core.lifecycle import JobBoard
from offduty_core.officers import Officer, Roster
from offduty_core.plugins import Registry
from offduty_core.roster_csv import parse_roster

from .codec import BOARD_KINDS, board_input

#: How long before a shift's start its officer may clock in (a clock-in is billed from then).
CLOCK_IN_EARLY = timedelta(minutes=60)

#: Every kind of input the log holds.
KINDS = BOARD_KINDS + ("roster", "clock_in", "assign", "payment", "waive")


class Program:
    """The board and what the service keeps beside it, at the last input applied (``seq``)."""

    def __init__(self, registry: Registry, settle_after: timedelta = timedelta(hours=24)):
        self.registry = registry
        self.board = JobBoard(registry, Roster([]), settle_after=settle_after)
        self.seq = 0  # the last input applied
        self.clock_ins: dict[tuple[str, int], tuple[str, datetime]] = {}
        self.versions: dict[str, int] = {}  # request id -> inputs that named it
        self.agency_of: dict[str, str] = {}  # request id -> agency (refused requests too)
        self.vendors: dict[str, str] = {}  # request id -> vendor
        self.payments: dict[str, Decimal] = {}  # request id -> paid so far
        self.references: dict[str, str] = {}  # request id -> the vendor's own number for it
        self.waivers: dict[str, list[tuple[Decimal, str, str]]] = {}  # request id -> (amount, reason, actor)
        self.pending: list[Record] = []  # records of wake-ups run by an input that then failed

    @property
    def now(self) -> datetime | None:
        return self.board.now

    @property
    def roster(self) -> Roster:
        return self.board.roster

    def apply(self, seq: int, kind: str, payload: Mapping[str, Any], at: datetime) -> list[Record]:
        """Apply one input (``seq`` its place in the log) at the server's ``at``; the records made.

        Wake-ups due by ``at`` run first.  Raises :class:`InputError` when the input cannot
        apply (an unknown request, a slot that does not exist); the wake-ups that ran stay
        applied, and :attr:`pending` holds their records, so the caller logs a ``tick`` for
        them instead."""
        if self.board.now is not None and at < self.board.now:
            at = self.board.now  # the server's clock never moves the board back
        self.pending = self.board.advance(at)
        if kind == "roster":
            records = self._roster(payload)
        elif kind == "clock_in":
            records = self._clock_in(payload, at)
        elif kind == "assign":
            records = self._assign(payload, at)
        elif kind == "payment":
            records = self._payment(payload)
        elif kind == "waive":
            records = self._waive(payload)
        else:
            rules = None
            if kind == "submit":
                rules = self.registry.rules(payload["agency"])
            elif kind != "tick":
                rules = self._rules_of(payload.get("request_id"))
            records = self.board.handle(board_input(kind, payload, at, rules))
            if kind == "clock_out":
                self.clock_ins.pop((payload["request_id"], payload["slot"]), None)
        self.seq = seq
        rid = payload.get("request") and payload["request"].get("id") or payload.get("request_id")
        if isinstance(rid, str):
            self.versions[rid] = self.versions.get(rid, 0) + 1
            if kind == "submit":
                self.agency_of[rid] = payload["agency"]
                self.vendors[rid] = payload["request"].get("vendor", "")
                if payload.get("reference") is not None:
                    self.references[rid] = payload["reference"]
        made, self.pending = self.pending + records, []
        return made

    def next_request_id(self) -> str:
        """The id the next request gets (``R-000001``, ...; every id the log holds is one)."""
        return f"R-{len(self.agency_of) + 1:06d}"

    def _rules_of(self, request_id: Any):
        agency = self.agency_of.get(request_id) if isinstance(request_id, str) else None
        if agency is None:
            raise InputError("request_id", request_id, "is not a request of this program")
        return self.registry.rules(agency)

    def _roster(self, payload: Mapping[str, Any]) -> list[Record]:
        """Officers of the file join or replace those of the same badge (nobody is removed:
        an officer who leaves is imported with ``active`` no)."""
        incoming = parse_roster(payload["csv"], payload.get("source", "roster.csv"), agencies=self.registry.names())
        merged: dict[str, Officer] = {o.badge: o for o in self.board.roster}
        merged.update((o.badge, o) for o in incoming)
        self.board.replace_roster(Roster(merged.values()))
        return []

    def _slot(self, payload: Mapping[str, Any]):
        rid, slot = payload.get("request_id"), payload.get("slot")
        job = self.board.jobs.get(rid) if isinstance(rid, str) else None
        if job is None:
            raise InputError("request_id", rid, "is not an open request of this program")
        if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < len(job.slots):
            raise InputError("slot", slot, f"slots of {rid} are 0..{len(job.slots) - 1}")
        return job, job.slots[slot]

    def _clock_in(self, payload: Mapping[str, Any], at: datetime) -> list[Record]:
        job, st = self._slot(payload)
        badge = payload.get("badge")
        if st.status != "filled" or st.officer != badge:
            raise InputError("slot", payload["slot"], f"is not held by badge {badge}")
        if job.status == "completed":
            raise InputError("request_id", job.request.id, "is completed and billed; it takes no more clock records")
        refusal = self.clock_in_refusal(job, st, at)
        if refusal is not None:
            raise InputError("clock-in", at.astimezone(job.rules.info.tz).isoformat(timespec="minutes"), refusal)
        self.clock_ins[(job.request.id, st.slot.index)] = (badge, at)
        return []

    @staticmethod
    def clock_in_refusal(job, st, at: datetime) -> str | None:
        """Why a clock-in at ``at`` is refused (None: it is in the window): from
        :data:`CLOCK_IN_EARLY` before the start until the end, so a clock record bills the
        shift, not the day before it."""
        opens, closes = st.shift.start - CLOCK_IN_EARLY, st.shift.end
        if opens <= at < closes:
            return None
        tz = job.rules.info.tz
        return (f"clock in from {opens.astimezone(tz).isoformat(timespec='minutes')} "
                f"({CLOCK_IN_EARLY.seconds // 60} minutes before the start) until the shift's end")

    def _assign(self, payload: Mapping[str, Any], at: datetime) -> list[Record]:
        job, st = self._slot(payload)
        posting = st.posting
        if posting is None or not posting.is_open:
            raise InputError("slot", payload["slot"], f"is {st.status}; only an open shift can be assigned")
        badge, reason = payload.get("badge"), payload.get("reason")
        if badge not in self.board.roster.by_badge:
            raise InputError("badge", badge, "is not on the roster")
        mark = len(self.board.records)
        self.board.award(posting, badge, f"assigned by {payload.get('actor', 'staff')}: {reason}")
        return self.board.records[mark:]

    def _billed_amount(self, payload: Mapping[str, Any]) -> tuple[str, Decimal]:
        """The billed request and the positive amount in cents a payment or a waiver names."""
        rid = payload.get("request_id")
        job = self.board.jobs.get(rid) if isinstance(rid, str) else None
        if job is None or job.bill is None:
            raise InputError("request_id", rid, "is not a billed request of this program")
        try:
            amount = Decimal(str(payload.get("amount")))
        except ArithmeticError:
            raise InputError("amount", payload.get("amount"), "give an amount such as \"444.64\"") from None
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise InputError("amount", payload.get("amount"), "must be a positive amount in cents, e.g. \"444.64\"")
        return rid, amount

    def _payment(self, payload: Mapping[str, Any]) -> list[Record]:
        """A verified processor payment of a billed job (the service checked its signature;
        no card number is ever in it)."""
        rid, amount = self._billed_amount(payload)
        self.payments[rid] = self.paid(rid) + amount
        return []

    def _waive(self, payload: Mapping[str, Any]) -> list[Record]:
        """Staff waive part of a billed job's balance, with a reason: the invoice keeps the
        rules' lines (still ``offduty bill`` of its story) and shows the waiver beside them, as
        a credit with who gave it and why; at most the balance still owed is waived."""
        rid, amount = self._billed_amount(payload)
        reason = payload.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError("reason", reason, "a waiver needs a reason")
        owed = self.board.jobs[rid].bill.vendor_total - self.paid(rid) - self.waived(rid)
        if amount > owed:
            raise InputError("amount", str(amount), f"at most the balance still owed, {owed:.2f}, can be waived")
        self.waivers.setdefault(rid, []).append((amount, reason.strip(), str(payload.get("actor", "staff"))))
        return []

    def paid(self, request_id: str) -> Decimal:
        return self.payments.get(request_id, Decimal("0.00"))

    def waived(self, request_id: str) -> Decimal:
        return sum((w[0] for w in self.waivers.get(request_id, ())), Decimal("0.00"))

    # --- reading ----------------------------------------------------------------------------

    def clock_in_of(self, request_id: str, slot: int, badge: str | None = None) -> tuple[str, datetime] | None:
        """The clock-in of the slot's officer (of ``badge`` only, when given), if still held."""
        found = self.clock_ins.get((request_id, slot))
        if found is None or (badge is not None and found[0] != badge):
            return None
        job = self.board.jobs.get(request_id)
        if job is None or job.slots[slot].officer != found[0]:
            return None  # dropped, moved away or reassigned since: that clock-in is not the holder's
        return found


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
