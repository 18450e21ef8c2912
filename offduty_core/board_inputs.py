"""The inputs a :class:`~offduty_core.lifecycle.JobBoard` is given: what vendors, officers and
the clock tell it, each with its instant (aware, kept in UTC).

Frozen attrs classes, checked when made: they come from outside the board (stories, live
use, the simulator), so their converters and validators are the board's input checks.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import attrs

from . import model
from .board_records import _builder
from .errors import InputError


def _aware(instance: object, attribute: attrs.Attribute, value: datetime | None) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InputError(attribute.name, value, "must be a timezone-aware datetime")


def _utc(value: object) -> object:
    """Instants in UTC (same-zone aware datetimes subtract by wall clock across DST)."""
    if value.__class__ is datetime and value.tzinfo is timezone.utc:
        return value  # already UTC (the simulator's inputs): nothing to convert
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return value


# --- inputs -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SubmitRequest:
    """A vendor's request reaches the operator (``at`` defaults to ``received_at``).
    ``shift_set`` groups requests whose shifts open together (bidding)."""

    agency: str
    request: model.Request
    at: datetime = attrs.field(default=None, converter=_utc, validator=_aware)
    shift_set: str | None = None
    payment_method: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.at is None:
            object.__setattr__(self, "at", self.request.received_at)


@attrs.frozen(kw_only=True)
class Apply:
    """An officer signs up (window methods), bids (``preference``: lower first), or accepts
    a shift released first come, first served."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str
    preference: int | None = None


@attrs.frozen(kw_only=True)
class Accept:
    """An officer accepts an offer (sequencing) or a shift open to all (immediate release).
    On a sign-up window it counts as applying."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str


@attrs.frozen(kw_only=True)
class Decline:
    """An officer declines the offer they hold."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str


@attrs.frozen(kw_only=True)
class DropShift:
    """The officer holding ``slot`` drops it before it starts (``badge`` checked if given)."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str | None = None


@attrs.frozen(kw_only=True)
class CancelRequest:
    """The vendor cancels the request, or only ``slots`` (a reduction).  ``channel`` and
    ``quoted_request_id`` (the number the cancellation quotes; default: the right one) are
    what an agency's rules may check (Lynnwood: in writing, quoting the number)."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    channel: str = "email"
    quoted_request_id: str | None = attrs.field(
        default=attrs.Factory(lambda self: self.request_id, takes_self=True))
    slots: tuple[int, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple))


@attrs.frozen(kw_only=True)
class ChangeStart:
    """The vendor moves the shifts (all, or ``slots``) to ``start``-``end``.

    ``officer_accepts``: None (default) keeps each assigned officer who is still eligible at
    the new times; False: they cannot work it; True: they accept if eligible.  An officer
    who does not keep the shift is barred from its repost.
    """

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    start: datetime = attrs.field(converter=_utc, validator=_aware)
    end: datetime = attrs.field(converter=_utc, validator=_aware)
    officer_accepts: bool | None = None
    channel: str = "email"
    slots: tuple[int, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple))

    @end.validator
    def _after(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.start:
            raise InputError("change_start.end", value.isoformat(timespec="minutes"), "must be after its start")


@attrs.frozen(kw_only=True)
class ReleaseEarly:
    """The vendor releases the officer of ``slot`` at ``at``, before the scheduled end."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int


@attrs.frozen(kw_only=True)
class ClockShift:
    """The officer of ``slot`` clocked in and out; reported at ``at`` (default: clock-out)."""

    request_id: str
    slot: int
    clock_in: datetime = attrs.field(converter=_utc, validator=_aware)
    clock_out: datetime = attrs.field(converter=_utc, validator=_aware)
    at: datetime = attrs.field(default=None, converter=_utc, validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.clock_out <= self.clock_in:
            raise InputError("clock.out", self.clock_out.isoformat(timespec="minutes"), "must be after clock.in")
        if self.at is None:
            object.__setattr__(self, "at", self.clock_out)


@attrs.frozen(kw_only=True)
class NoShow:
    """The officer of ``slot`` did not come."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int


@attrs.frozen(kw_only=True)
class Complete:
    """Settle and bill the job now (it settles by itself ``settle_after`` its last end)."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str


@attrs.frozen(kw_only=True)
class Tick:
    """Nothing but time passing: run wake-ups due by ``at``."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)


Input = (SubmitRequest | Apply | Accept | Decline | DropShift | CancelRequest | ChangeStart | ReleaseEarly
         | ClockShift | NoShow | Complete | Tick)


def trusted(cls: type) -> Callable[..., Any]:
    """A keyword constructor of input ``cls`` for a caller that made every value itself, with
    instants already exact-UTC datetimes (``tzinfo is timezone.utc``), as the simulator's
    adapter does: the converters and validators, which would change and refuse nothing then,
    are skipped (``__attrs_post_init__`` still runs).  Everyone else uses ``cls(...)``, whose
    checks are the board's input checks."""
    found = _TRUSTED.get(cls)
    if found is None:
        found = _TRUSTED[cls] = _builder(cls)
    return found


_TRUSTED: dict[type, Callable[..., Any]] = {}
