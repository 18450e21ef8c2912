"""What a :class:`~offduty_core.lifecycle.JobBoard` records: one immutable record per thing
that happened (:class:`Posted`, :class:`Offered`, :class:`Awarded`, ...).

Each record is a named tuple (issue 11): the board makes one for nearly everything it does,
and a tuple is made by one C call, read by attribute or position, and copied with
``_replace``.  Every record starts with ``at`` and ``request_id``; a slot's records then have
``slot``.  :data:`Record` and :data:`SlotRecord` are the unions of the classes, for
annotations and ``isinstance``.  Each class is marked by :func:`typed`: its ``kind`` is its
name, and a record equals only a record of the same class (plain tuples compare by values
alone, so ``Declined`` and ``Lapsed`` of the same badge and instant would otherwise be equal);
the board's inputs (:mod:`offduty_core.board_inputs`) are marked the same way.
The board makes records from values it made or checked itself, so they check nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from . import billing

_T = TypeVar("_T", bound=type)


def _same_kind(self: tuple, other: object) -> bool:
    return self.__class__ is other.__class__ and tuple.__eq__(self, other)


def _other_kind(self: tuple, other: object) -> bool:
    return self.__class__ is not other.__class__ or tuple.__ne__(self, other)


def typed(cls: _T) -> _T:
    """Mark the named tuple ``cls`` (a record or an input): ``kind`` is its name, and it
    compares equal only to tuples of its own class (its hash stays the tuple's)."""
    cls.kind = cls.__name__
    cls.__eq__, cls.__ne__, cls.__hash__ = _same_kind, _other_kind, tuple.__hash__
    return cls


# --- records ----------------------------------------------------------------------------


@typed
class Approved(NamedTuple):
    """The rules admit the request; its shifts are posted at ``posts_at`` (its approval)."""

    at: datetime
    request_id: str
    agency: str
    roles: tuple[str, ...]
    emergency: bool
    posts_at: datetime
    notes: tuple[str, ...] = ()


@typed
class Refused(NamedTuple):
    """A request, or a vendor's change, that the rules refuse."""

    at: datetime
    request_id: str
    what: str
    rule: str
    reason: str


@typed
class Posted(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    role: str
    category: str
    agency: str
    start: datetime
    end: datetime
    method: str
    audience: tuple[str, ...]
    group: str | None = None
    repost: bool = False


@typed
class StageOpened(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    audience: tuple[str, ...]


@typed
class Offered(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str
    deadline: datetime
    basis: str


@typed
class Applied(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str


@typed
class ResponseRefused(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str
    reason: str


@typed
class Declined(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str


@typed
class Lapsed(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str


@typed
class ReleasedToAll(NamedTuple):
    """The shift is now first come, first served (no applicant, list exhausted, ...)."""

    at: datetime
    request_id: str
    slot: int
    reason: str


@typed
class Awarded(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str
    method: str
    basis: str
    start: datetime
    end: datetime


@typed
class BackupPassed(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str
    reason: str


@typed
class Dropped(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str


@typed
class Reposted(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    reason: str
    barred: tuple[str, ...] = ()


@typed
class Cancelled(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str | None
    note: str = ""


@typed
class StartChanged(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    start: datetime
    end: datetime
    badge: str | None
    kept: bool
    reason: str = ""


@typed
class AlertSent(NamedTuple):
    """The vendor is told the shift is still unfilled ``lead`` before its start."""

    at: datetime
    request_id: str
    slot: int
    lead: timedelta
    start: datetime


@typed
class ShiftUnfilled(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    reason: str


@typed
class Clocked(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str
    clock_in: datetime
    clock_out: datetime


@typed
class ReleasedEarly(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str


@typed
class NoShowReported(NamedTuple):
    at: datetime
    request_id: str
    slot: int
    badge: str


@typed
class Completed(NamedTuple):
    at: datetime
    request_id: str
    slots: tuple[str, ...]  # final status of each slot


@typed
class Billed(NamedTuple):
    at: datetime
    request_id: str
    bill: billing.Bill
    vendor_total: str
    officer_pay_total: str

    def __repr__(self) -> str:  # the bill is long; its totals say enough
        return (f"Billed(at={self.at!r}, request_id={self.request_id!r}, vendor_total={self.vendor_total!r}, "
                f"officer_pay_total={self.officer_pay_total!r})")


@typed
class BillingFailed(NamedTuple):
    at: datetime
    request_id: str
    reason: str


#: A slot's records (each has ``slot`` after ``at`` and ``request_id``).
SlotRecord = (Posted | StageOpened | Offered | Applied | ResponseRefused | Declined | Lapsed | ReleasedToAll
              | Awarded | BackupPassed | Dropped | Reposted | Cancelled | StartChanged | AlertSent | ShiftUnfilled
              | Clocked | ReleasedEarly | NoShowReported)
#: Any record the board makes.
Record = Approved | Refused | SlotRecord | Completed | Billed | BillingFailed
