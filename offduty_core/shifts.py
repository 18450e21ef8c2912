"""A shift as eligibility sees it (:class:`Shift`), its shape in the officer's home agency's
local days, weeks and months (:class:`ShiftShape`, integer keys), a booking of it, and the
small formatters the rules word their objections with.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from .days import EPOCH, DayTable, month_key, week_key
from .errors import InputError
from .officers import Rank

UTC = timezone.utc
ShiftKey = tuple[str, int]
_SECOND = timedelta(seconds=1)


def to_utc(value: object, field: str) -> datetime:
    """Instants are kept in UTC: aware datetimes sharing one ``ZoneInfo`` subtract and
    compare by wall clock, which is wrong across a daylight-saving change."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InputError(field, value, "must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _start_utc(value: object) -> datetime:
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # already UTC (the board's shifts): nothing to convert or check
    return to_utc(value, "shift.start")


def _end_utc(value: object) -> datetime:
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value
    return to_utc(value, "shift.end")


@attrs.frozen(kw_only=True)
class Shift:
    """One officer slot of a request, as it is posted.

    ``ranks``: ranks allowed (None: any); ``qualifications``: every one is required;
    ``barred``: badges that may not take it; ``set_id``: shifts opened together (bidding).
    """

    request_id: str
    slot: int
    role: str
    category: str
    agency: str
    start: datetime = attrs.field(converter=_start_utc)
    end: datetime = attrs.field(converter=_end_utc)
    ranks: frozenset[Rank] | None = None
    qualifications: frozenset[str] = frozenset()
    barred: frozenset[str] = frozenset()
    set_id: str | None = None
    # Epoch seconds of start and end, computed once (every rule compares in them).
    start_ts: int = attrs.field(init=False, eq=False, repr=False)
    end_ts: int = attrs.field(init=False, eq=False, repr=False)
    # The shift's ShiftShape per (zone, week start), computed once (see OfficerBook.shift_shape):
    # None, one (key, shape) pair, or a dict of them when asked for several zones.
    shapes: Any = attrs.field(init=False, eq=False, repr=False, default=None)
    # The fixed eligibility rules' answers for this shift (see Eligibility.fixed_index):
    # None, or (the Eligibility, {badge: (officer, first objecting rule or -1)}).
    fixed: Any = attrs.field(init=False, eq=False, repr=False, default=None)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "start_ts", int(self.start.timestamp()))
        object.__setattr__(self, "end_ts", int(self.end.timestamp()))

    @end.validator
    def _after(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.start:
            raise InputError("shift.end", value.isoformat(timespec="minutes"), "must be after the shift's start")

    def barring(self, badge: str) -> Shift:
        """This shift with ``badge`` barred too (a dropped shift, or a move its officer could
        not work).  Built field by field rather than by ``attrs.evolve``, which looks the
        fields up again on every call (a drop or a move per few dozen shifts); the constructor
        still checks and derives everything."""
        return Shift(request_id=self.request_id, slot=self.slot, role=self.role, category=self.category,
                     agency=self.agency, start=self.start, end=self.end, ranks=self.ranks,
                     qualifications=self.qualifications, barred=self.barred | {badge}, set_id=self.set_id)

    def moved(self, start: datetime, end: datetime) -> Shift:
        """This shift over ``[start, end)`` (the vendor moved it), as :meth:`barring` builds."""
        return Shift(request_id=self.request_id, slot=self.slot, role=self.role, category=self.category,
                     agency=self.agency, start=start, end=end, ranks=self.ranks,
                     qualifications=self.qualifications, barred=self.barred, set_id=self.set_id)

    @property
    def key(self) -> ShiftKey:
        return (self.request_id, self.slot)

    @property
    def label(self) -> str:
        return f"{self.request_id} slot {self.slot}"

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def fmt_h(seconds: int | float) -> str:
    """Hours for messages: ``22 h``, ``3.5 h``, ``7.25 h``."""
    value = Decimal(int(seconds)) / 3600
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


def fmt_gap(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _local(ts: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def _span(start: int, end: int, tz: ZoneInfo) -> str:
    a = datetime.fromtimestamp(start, tz)
    b = datetime.fromtimestamp(end, tz)
    tail = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a:%Y-%m-%d %H:%M}-{tail}"


@lru_cache(maxsize=65536)
def _month_of_ordinal(ordinal: int) -> int:
    """:func:`month_key` of the day with ``ordinal``."""
    return month_key(date.fromordinal(ordinal))


class ShiftShape(NamedTuple):
    """A time span cut the way the book counts hours: epoch seconds, and the seconds on
    each local day, week and month (for one zone and week-start day).  A named tuple, not an
    attrs class: one is made for every shift and every change of hours, and a tuple is made
    several times faster."""

    start: int
    end: int
    days: tuple[tuple[int, int], ...]  # (day ordinal, seconds)
    weeks: tuple[tuple[int, int], ...]  # (week key, seconds)
    months: tuple[tuple[int, int], ...]  # (month key, seconds)
    first_day: int  # local ordinal of the start


#: Each zone's local days (midnights only), for cutting shapes: see :func:`shape_of`.
_ZONE_DAYS: dict[str, DayTable] = {}


def shape_of(start: datetime, end: datetime, tz_name: str, week_start: int) -> ShiftShape:
    """``[start, end)`` cut at ``tz_name``'s local midnights (what
    :func:`~offduty_core.timeutil.split_at_local_midnight` gives), each piece's real seconds
    rounded down: a piece of a DST day can be 23 or 25 hours.  :func:`shape_at` of the
    instants in whole epoch seconds and their microseconds."""
    s, fs = divmod(start - EPOCH, _SECOND)
    e, fe = divmod(end - EPOCH, _SECOND)
    return shape_at(s, e, tz_name, week_start, fs.microseconds, fe.microseconds)


@lru_cache(maxsize=4096)  # recent shifts (the slots of a request share one): a year's would hold tens of MB
def shape_at(s: int, e: int, tz_name: str, week_start: int, fs: int = 0, fe: int = 0) -> ShiftShape:
    """:func:`shape_of` from epoch seconds ``s`` and ``e`` (rounded down) and their
    microseconds ``fs`` and ``fe``: worked out against the zone's table of midnights
    (:class:`~offduty_core.days.DayTable`), without datetime arithmetic, since every shift
    checked against a cap needs its shape.  With microseconds (hours worked, as clocked) a
    piece runs from ``s + fs`` and its seconds are rounded down as real time is."""
    zone = _ZONE_DAYS.get(tz_name)
    if zone is None:
        zone = _ZONE_DAYS[tz_name] = DayTable(ZoneInfo(tz_name), None)
    # The fields keep int(timestamp()): rounded toward zero, so up for a fraction before 1970.
    start_ts = s + 1 if s < 0 and fs else s
    end_ts = e + 1 if e < 0 and fe else e
    stop = e + 1 if fe else e  # the first whole second at or after the end
    table, index = zone.locate(s)
    first_day = table.first.toordinal() + index
    if (s, fs) < (e, fe):
        # Most shifts lie inside one local day: one piece, without the lists and dicts.
        if stop <= table.midnights[index + 1]:
            seconds = e - s - (fe < fs)
            if seconds > 0:
                return ShiftShape(start_ts, end_ts, ((first_day, seconds),),
                                  ((week_key(first_day, week_start), seconds),),
                                  ((_month_of_ordinal(first_day), seconds),), first_day)
    days: list[tuple[int, int]] = []
    weeks: dict[int, int] = {}
    months: dict[int, int] = {}
    cursor, frac = s, fs
    while (cursor, frac) < (e, fe):
        table, index = zone.locate(cursor)
        ordinal = table.first.toordinal() + index
        midnight = table.midnights[index + 1]
        if stop <= midnight:  # the end comes first
            seconds = e - cursor - (fe < frac)
            cursor, frac = e, fe
        else:
            seconds = midnight - cursor - (frac > 0)
            cursor, frac = midnight, 0
        if seconds > 0:
            days.append((ordinal, seconds))
            wk = week_key(ordinal, week_start)
            weeks[wk] = weeks.get(wk, 0) + seconds
            mk = _month_of_ordinal(ordinal)
            months[mk] = months.get(mk, 0) + seconds
    return ShiftShape(start_ts, end_ts, tuple(days), tuple(weeks.items()), tuple(months.items()), first_day)


class Booking(NamedTuple):
    """``badge`` holds shift ``key`` over ``[start, end)`` (epoch seconds; what overlap and
    rest look at) and counts ``hours`` toward caps (the scheduled span, or the hours
    actually worked once known).  A named tuple, as :class:`ShiftShape` is."""

    badge: str
    key: ShiftKey
    start: int
    end: int
    hours: ShiftShape
