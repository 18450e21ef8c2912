"""The inputs a :class:`~offduty_core.lifecycle.JobBoard` is given: what vendors, officers and
the clock tell it, each with its instant (aware, kept in UTC).

Named tuples, like the board's records, but checked when made: they come from outside the
board (stories, live use, the simulator), so making one is the board's input check.  Each
class is marked by :func:`_checked` with its check, which runs on every construction
(``Accept(...)``): it refuses a naive instant or a span that ends before it starts
(:class:`~offduty_core.errors.InputError`), converts aware instants to UTC and fills the
defaults that depend on other fields (``SubmitRequest.at``, ``ClockShift.at``,
``CancelRequest.quoted_request_id``).  There is one constructor for every caller: for the
simulator's values (exact-UTC instants it made itself) the check is two identity tests per
instant and returns the tuple as made, so it needs no unchecked twin.  ``_replace`` and
``_make`` skip the check (the checks make their corrected copies with ``_replace``): make a
changed input with the constructor.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, NamedTuple, TypeVar

from . import model
from .board_records import typed
from .errors import InputError

_T = TypeVar("_T", bound=type)


def _utc(name: str, value: object) -> datetime:
    """``value`` as a UTC instant (same-zone aware datetimes subtract by wall clock across DST)."""
    if value.__class__ is datetime and value.tzinfo is timezone.utc:
        return value  # already UTC (the simulator's inputs): nothing to convert
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    raise InputError(name, value, "must be a timezone-aware datetime")


def _checked(check: Callable) -> Callable[[_T], _T]:
    """Mark the named tuple ``cls`` a board input whose construction runs ``check`` on the
    tuple as made (``check`` returns it, or a corrected copy, or raises InputError).

    The checking ``__new__`` is written with the tuple's own parameters, as
    :func:`collections.namedtuple` writes its own, rather than wrapping that one with
    ``*args, **kwargs``: Python then binds the arguments once, with the same defaults and
    the same errors, and a year's tens of thousands of inputs skip a call and a repacking
    each (about half of what making a checked input cost)."""
    def mark(cls: _T) -> _T:
        made = cls.__new__
        fields = ", ".join(cls._fields)  # a named tuple's fields never start with "_"
        namespace = {"_check": check, "_tuple_new": tuple.__new__}
        exec(f"def __new__(_cls, {fields}):\n    return _check(_tuple_new(_cls, ({fields},)))", namespace)
        __new__ = namespace["__new__"]
        __new__.__defaults__ = made.__defaults__
        __new__.__doc__ = made.__doc__
        __new__.__qualname__ = f"{cls.__name__}.__new__"
        __new__.__module__ = cls.__module__
        cls.__new__ = staticmethod(__new__)
        return typed(cls)
    return mark


def _at(event):
    """The check of an input whose only instant is ``at``."""
    at = event.at
    if at.__class__ is datetime and at.tzinfo is timezone.utc:
        return event
    return event._replace(at=_utc("at", at))


def _slots(event):
    """``slots`` as a tuple (None: every slot), after the ``at`` check."""
    event = _at(event)
    slots = event.slots
    return event if slots is None or slots.__class__ is tuple else event._replace(slots=tuple(slots))


# --- inputs -----------------------------------------------------------------------------


def _submit(event):
    return _at(event._replace(at=event.request.received_at)) if event.at is None else _at(event)


@_checked(_submit)
class SubmitRequest(NamedTuple):
    """A vendor's request reaches the operator (``at`` defaults to ``received_at``).
    ``shift_set`` groups requests whose shifts open together (bidding)."""

    agency: str
    request: model.Request
    at: datetime | None = None
    shift_set: str | None = None
    payment_method: str | None = None


@_checked(_at)
class Apply(NamedTuple):
    """An officer signs up (window methods), bids (``preference``: lower first), or accepts
    a shift released first come, first served."""

    at: datetime
    request_id: str
    slot: int
    badge: str
    preference: int | None = None


@_checked(_at)
class Accept(NamedTuple):
    """An officer accepts an offer (sequencing) or a shift open to all (immediate release).
    On a sign-up window it counts as applying."""

    at: datetime
    request_id: str
    slot: int
    badge: str


@_checked(_at)
class Decline(NamedTuple):
    """An officer declines the offer they hold."""

    at: datetime
    request_id: str
    slot: int
    badge: str


@_checked(_at)
class DropShift(NamedTuple):
    """The officer holding ``slot`` drops it before it starts (``badge`` checked if given)."""

    at: datetime
    request_id: str
    slot: int
    badge: str | None = None


class _ItsOwn:
    """``CancelRequest.quoted_request_id`` left out: the cancellation quotes the right number."""

    def __repr__(self) -> str:
        return "ITS_OWN"


#: The default ``quoted_request_id``: the request's own number (None: no number quoted).
ITS_OWN = _ItsOwn()


def _cancel(event):
    if event.quoted_request_id is ITS_OWN:
        event = event._replace(quoted_request_id=event.request_id)
    return _slots(event)


@_checked(_cancel)
class CancelRequest(NamedTuple):
    """The vendor cancels the request, or only ``slots`` (a reduction).  ``channel`` and
    ``quoted_request_id`` (the number the cancellation quotes; default: the right one) are
    what an agency's rules may check (Lynnwood: in writing, quoting the number)."""

    at: datetime
    request_id: str
    channel: str = "email"
    quoted_request_id: str | None = ITS_OWN  # type: ignore[assignment]
    slots: tuple[int, ...] | None = None


def _change(event):
    start, end = _utc("start", event.start), _utc("end", event.end)
    if end <= start:
        raise InputError("change_start.end", end.isoformat(timespec="minutes"), "must be after its start")
    if start is not event.start or end is not event.end:
        event = event._replace(start=start, end=end)
    return _slots(event)


@_checked(_change)
class ChangeStart(NamedTuple):
    """The vendor moves the shifts (all, or ``slots``) to ``start``-``end``.

    ``officer_accepts``: None (default) keeps each assigned officer who is still eligible at
    the new times; False: they cannot work it; True: they accept if eligible.  An officer
    who does not keep the shift is barred from its repost.
    """

    at: datetime
    request_id: str
    start: datetime
    end: datetime
    officer_accepts: bool | None = None
    channel: str = "email"
    slots: tuple[int, ...] | None = None


def _clock(event):
    clock_in, clock_out = _utc("clock_in", event.clock_in), _utc("clock_out", event.clock_out)
    if clock_out <= clock_in:
        raise InputError("clock.out", clock_out.isoformat(timespec="minutes"), "must be after clock.in")
    at = clock_out if event.at is None else _utc("at", event.at)
    if clock_in is event.clock_in and clock_out is event.clock_out and at is event.at:
        return event
    return event._replace(clock_in=clock_in, clock_out=clock_out, at=at)


@_checked(_clock)
class ClockShift(NamedTuple):
    """The officer of ``slot`` clocked in and out; reported at ``at`` (default: clock-out)."""

    request_id: str
    slot: int
    clock_in: datetime
    clock_out: datetime
    at: datetime | None = None


@_checked(_at)
class ReleaseEarly(NamedTuple):
    """The vendor releases the officer of ``slot`` at ``at``, before the scheduled end."""

    at: datetime
    request_id: str
    slot: int


@_checked(_at)
class NoShow(NamedTuple):
    """The officer of ``slot`` did not come."""

    at: datetime
    request_id: str
    slot: int


@_checked(_at)
class Complete(NamedTuple):
    """Settle and bill the job now (it settles by itself ``settle_after`` its last end)."""

    at: datetime
    request_id: str


@_checked(_at)
class Tick(NamedTuple):
    """Nothing but time passing: run wake-ups due by ``at``."""

    at: datetime


Input = (SubmitRequest | Apply | Accept | Decline | DropShift | CancelRequest | ChangeStart | ReleaseEarly
         | ClockShift | NoShow | Complete | Tick)
