"""What a :class:`~offduty_core.lifecycle.JobBoard` records: one immutable record per thing
that happened (:class:`Posted`, :class:`Offered`, :class:`Awarded`, ...), and the fast
constructors the board builds its most frequent records and billing events with.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import attrs

from . import billing
from . import model
from .eligibility import Shift


# --- records ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Record:
    at: datetime
    request_id: str

    @property
    def kind(self) -> str:
        return type(self).__name__


@attrs.frozen(kw_only=True)
class Approved(Record):
    """The rules admit the request; its shifts are posted at ``posts_at`` (its approval)."""

    agency: str
    roles: tuple[str, ...]
    emergency: bool
    posts_at: datetime
    notes: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Refused(Record):
    """A request, or a vendor's change, that the rules refuse."""

    what: str
    rule: str
    reason: str


@attrs.frozen(kw_only=True)
class SlotRecord(Record):
    slot: int


@attrs.frozen(kw_only=True)
class Posted(SlotRecord):
    role: str
    category: str
    agency: str
    start: datetime
    end: datetime
    method: str
    audience: tuple[str, ...]
    group: str | None = None
    repost: bool = False


@attrs.frozen(kw_only=True)
class StageOpened(SlotRecord):
    audience: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Offered(SlotRecord):
    badge: str
    deadline: datetime
    basis: str


@attrs.frozen(kw_only=True)
class Applied(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class ResponseRefused(SlotRecord):
    badge: str
    reason: str


@attrs.frozen(kw_only=True)
class Declined(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class Lapsed(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class ReleasedToAll(SlotRecord):
    """The shift is now first come, first served (no applicant, list exhausted, ...)."""

    reason: str


@attrs.frozen(kw_only=True)
class Awarded(SlotRecord):
    badge: str
    method: str
    basis: str
    start: datetime
    end: datetime


@attrs.frozen(kw_only=True)
class BackupPassed(SlotRecord):
    badge: str
    reason: str


@attrs.frozen(kw_only=True)
class Dropped(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class Reposted(SlotRecord):
    reason: str
    barred: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Cancelled(SlotRecord):
    badge: str | None
    note: str = ""


@attrs.frozen(kw_only=True)
class StartChanged(SlotRecord):
    start: datetime
    end: datetime
    badge: str | None
    kept: bool
    reason: str = ""


@attrs.frozen(kw_only=True)
class AlertSent(SlotRecord):
    """The vendor is told the shift is still unfilled ``lead`` before its start."""

    lead: timedelta
    start: datetime


@attrs.frozen(kw_only=True)
class ShiftUnfilled(SlotRecord):
    reason: str


@attrs.frozen(kw_only=True)
class Clocked(SlotRecord):
    badge: str
    clock_in: datetime
    clock_out: datetime


@attrs.frozen(kw_only=True)
class ReleasedEarly(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class NoShowReported(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class Completed(Record):
    slots: tuple[str, ...]  # final status of each slot


@attrs.frozen(kw_only=True)
class Billed(Record):
    bill: billing.Bill = attrs.field(repr=False)
    vendor_total: str
    officer_pay_total: str


@attrs.frozen(kw_only=True)
class BillingFailed(Record):
    reason: str


# --- fast construction ------------------------------------------------------------------


def _builder(cls: type) -> Callable[..., Any]:
    """A keyword constructor for the frozen, slotted attrs class ``cls`` that gives an instance
    equal to ``cls(**fields)`` (same fields, defaults, ``__attrs_post_init__``) but sets each
    field through its slot descriptor: attrs' generated ``__init__`` of a frozen class calls
    ``object.__setattr__`` per field, about twice as slow, and the board makes a record (a
    shift, ...) for nearly everything it does.  Converters and validators are NOT run: only
    for values the board made itself or took from already-validated objects.  Outside
    callers keep using ``cls(...)``.  A class it cannot do (not slotted, a factory default)
    gets ``cls`` itself back."""
    fields = attrs.fields(cls)
    names = {field.name for field in fields}
    slots = {}
    for klass in reversed(cls.__mro__):
        slots.update({name: value for name, value in vars(klass).items() if name in names})
    if any(field.name not in slots or not hasattr(slots[field.name], "__set__")
           or isinstance(field.default, attrs.Factory) for field in fields):  # pragma: no cover
        return cls
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params, body = [], []
    for i, field in enumerate(fields):
        namespace[f"_set{i}"] = slots[field.name].__set__
        if field.init:
            if field.default is attrs.NOTHING:
                params.append(field.name)
            else:
                namespace[f"_default{i}"] = field.default
                params.append(f"{field.name}=_default{i}")
            body.append(f"    _set{i}(self, {field.name})")
        elif field.default is not attrs.NOTHING:
            namespace[f"_default{i}"] = field.default
            body.append(f"    _set{i}(self, _default{i})")
    if hasattr(cls, "__attrs_post_init__"):
        body.append("    self.__attrs_post_init__()")
    source = (f"def build(*, {', '.join(params)}):\n    self = _new(_cls)\n" + "\n".join(body)
              + "\n    return self\n")
    exec(source, namespace)  # as attrs makes its __init__
    return namespace["build"]


#: Record class -> its _builder (made on first use).
_BUILDERS: dict[type, Callable[..., Any]] = {}
_SHIFT = _builder(Shift)
# The most frequent records are built directly at their call sites (JobBoard._record's
# **fields would pack and unpack them once more: about 1 us a record).
_APPROVED, _POSTED, _APPLIED, _AWARDED, _CLOCKED, _COMPLETED, _BILLED = (
    _builder(cls) for cls in (Approved, Posted, Applied, Awarded, Clocked, Completed, Billed))
# The two most frequent billing events, for values already checked (see _is_utc).
_ASSIGN, _CLOCK = _builder(model.Assign), _builder(model.Clock)


def _is_utc(value: object) -> bool:
    """An exact-UTC datetime: what the events' ``_utc`` converter and ``_aware`` validator
    would leave as it is."""
    return value.__class__ is datetime and value.tzinfo is timezone.utc
