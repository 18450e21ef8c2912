"""Who may take a shift: composable eligibility rules over an :class:`OfficerBook`.

A rule is a small object with a ``name`` and ``check(officer, shift, book)`` returning
``None`` (no objection) or a reason a coordinator can read; :class:`Eligibility` runs a list
of them, cheapest first, and turns the first objection into a :class:`Reason`
(``badge 117: weekly cap 24 h would be exceeded: 22 h scheduled + 4 h (week from Mon
2027-03-08)``).

The core rules (:func:`core_rules`), in the order they are checked:

``approved-active``  approved for off-duty work and active;
``rank``             the slot's role needs a rank (a supervisor slot: supervisor rank);
``qualification``    the job needs qualifications (a school-safety job: ``sso``);
``barred``           not barred from this shift (the officer who could not work a moved
                     start time, or who dropped it);
``on-duty``          not on duty during the shift, and rested (``min_rest``) before the next
                     on-duty shift;
``overlap``          not booked on another off-duty shift at the same time;
``rest``             at least ``min_rest`` between off-duty shifts;
``daily-cap``, ``weekly-cap``, ``monthly-cap``
                     under the officer's home agency's off-duty hour caps
                     (:class:`~offduty_core.rules.HourCaps`) on every local day, week (from
                     the agency's week-start day) and month the shift touches, counting
                     hours already scheduled and worked.

Rest is required between off-duty shifts and before an on-duty shift (an officer reports
for duty rested); an off-duty shift may start as soon as an on-duty shift ends.  Caps and
rest are those of the officer's *home* agency, also on a back-up agency's shift.

The :class:`OfficerBook` is the mutable state: per officer, booked intervals in a sorted
list (``bisect``), and hours in dicts keyed by (badge, day), (badge, week) and (badge, month),
so a check or a booking costs O(log k) in the officer's own bookings, never a scan of all
shifts or all officers.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence
from zoneinfo import ZoneInfo

import attrs

from .errors import InputError, PluginError
from .officers import Officer, Rank, Roster
from .spec import HourCaps
from .timeutil import _ONE_DAY, _utc_midnight, split_at_local_midnight

UTC = timezone.utc
ShiftKey = tuple[str, int]


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

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "start_ts", int(self.start.timestamp()))
        object.__setattr__(self, "end_ts", int(self.end.timestamp()))

    @end.validator
    def _after(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.start:
            raise InputError("shift.end", value.isoformat(timespec="minutes"), "must be after the shift's start")

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


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _local(ts: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def _span(start: int, end: int, tz: ZoneInfo) -> str:
    a = datetime.fromtimestamp(start, tz)
    b = datetime.fromtimestamp(end, tz)
    tail = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a:%Y-%m-%d %H:%M}-{tail}"


def week_key(day_ordinal: int, week_start: int) -> int:
    """Index of the week (starting on ``week_start``, 0 = Monday) that holds the day."""
    # date(1, 1, 1) has ordinal 1 and is a Monday.
    return (day_ordinal - 1 - week_start) // 7


def month_key(day: date) -> int:
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=65536)
def _month_of_ordinal(ordinal: int) -> int:
    """:func:`month_key` of the day with ``ordinal``."""
    return month_key(date.fromordinal(ordinal))


@attrs.frozen
class ShiftShape:
    """A time span cut the way the book counts hours: epoch seconds, and the seconds on
    each local day, week and month (for one zone and week-start day)."""

    start: int
    end: int
    days: tuple[tuple[int, int], ...]  # (day ordinal, seconds)
    weeks: tuple[tuple[int, int], ...]  # (week key, seconds)
    months: tuple[tuple[int, int], ...]  # (month key, seconds)
    first_day: int  # local ordinal of the start


@lru_cache(maxsize=65536)
def shape_of(start: datetime, end: datetime, tz_name: str, week_start: int) -> ShiftShape:
    tz = ZoneInfo(tz_name)
    day = start.astimezone(tz).date()
    first_day = day.toordinal()
    if start < end:
        # Most shifts lie inside one local day: split_at_local_midnight's single piece, worked
        # out directly (the same arithmetic, without the lists and dicts).
        cursor, stop = start.astimezone(UTC), end.astimezone(UTC)
        if stop <= _utc_midnight(day + _ONE_DAY, tz):
            seconds = int((stop - cursor).total_seconds())
            if seconds > 0:
                return ShiftShape(start=_ts(start), end=_ts(end), days=((first_day, seconds),),
                                  weeks=((week_key(first_day, week_start), seconds),),
                                  months=((month_key(day), seconds),), first_day=first_day)
    days: list[tuple[int, int]] = []
    weeks: dict[int, int] = {}
    months: dict[int, int] = {}
    for day, seconds in split_at_local_midnight(start, end, tz):
        ordinal = day.toordinal()
        days.append((ordinal, seconds))
        wk = week_key(ordinal, week_start)
        weeks[wk] = weeks.get(wk, 0) + seconds
        mk = month_key(day)
        months[mk] = months.get(mk, 0) + seconds
    return ShiftShape(start=_ts(start), end=_ts(end), days=tuple(days), weeks=tuple(weeks.items()),
                      months=tuple(months.items()), first_day=first_day)


@attrs.frozen
class Booking:
    """``badge`` holds shift ``key`` over ``[start, end)`` (epoch seconds; what overlap and
    rest look at) and counts ``hours`` toward caps (the scheduled span, or the hours
    actually worked once known)."""

    badge: str
    key: ShiftKey
    start: int
    end: int
    hours: ShiftShape


class OfficerBook:
    """Who is booked on what, and how many off-duty hours each officer has, where.

    ``zones`` and ``caps`` map each home agency to its time zone and
    :class:`~offduty_core.rules.HourCaps` (a single ``HourCaps`` applies to every agency).
    Officers' ``history`` records count toward caps and look-backs from the start.
    """

    def __init__(self, roster: Roster, zones: Mapping[str, ZoneInfo | str] | ZoneInfo | str,
                 caps: Mapping[str, HourCaps] | HourCaps | None = None):
        self.roster = roster
        agencies = set(roster.agencies)
        if isinstance(zones, (ZoneInfo, str)):
            zones = {a: zones for a in agencies}
        self.zones: dict[str, ZoneInfo] = {a: (z if isinstance(z, ZoneInfo) else ZoneInfo(z)) for a, z in zones.items()}
        if caps is None or isinstance(caps, HourCaps):
            caps = {a: caps or HourCaps() for a in agencies | set(self.zones)}
        self.caps: dict[str, HourCaps] = dict(caps)
        for agency in agencies:
            if agency not in self.zones:
                raise InputError("roster.agency", agency, f"has no time zone; known agencies: "
                                                          f"{', '.join(sorted(self.zones)) or 'none'}")
            self.caps.setdefault(agency, HourCaps())
        self.rest_secs: dict[str, int] = {a: int(c.min_rest.total_seconds()) for a, c in self.caps.items()}
        # Cap limits in whole seconds (None: no cap), computed once rather than per check.
        self.cap_secs: dict[str, tuple[int | None, int | None, int | None]] = {
            a: tuple(None if v is None else int(v * 3600) for v in (c.daily, c.weekly, c.monthly))
            for a, c in self.caps.items()}
        self._shape_keys: dict[str, tuple[str, int]] = {
            a: (self.zones[a].key, self.caps[a].week_start) for a in self.zones if a in self.caps}
        # The last shift shape looked up, by (start, end) objects and agency: booking the shift
        # that was just checked needs it again.
        self._last_shape: tuple | None = None
        # The last neighbours asked for (overlap and rest both ask); ``_stamp`` changes with
        # every booking.
        self._last_neighbours: tuple[tuple, tuple] | None = None
        self._stamp = 0
        # On-duty start instants by local day, per (schedule, zone): see duty_starts().
        self._duty_by_schedule: dict[tuple, tuple[dict[int, int | None], int, dict[int, str]]] = {}
        self._duty: dict[str, tuple] = {}
        self._starts: dict[str, list[int]] = {}
        self._entries: dict[str, list[tuple[int, int, ShiftKey]]] = {}
        self._bookings: dict[ShiftKey, Booking] = {}
        self.day_secs: dict[tuple[str, int], int] = {}
        self.week_secs: dict[tuple[str, int], int] = {}
        self.month_secs: dict[tuple[str, int], int] = {}
        self.day_jobs: dict[tuple[str, int], int] = {}
        self.month_jobs: dict[tuple[str, int], int] = {}
        for officer in roster:
            ws = self.caps[officer.agency].week_start
            for record in officer.history:
                secs = int(record.hours * 3600)
                ordinal = record.day.toordinal()
                self._add(self.day_secs, (officer.badge, ordinal), secs)
                self._add(self.week_secs, (officer.badge, week_key(ordinal, ws)), secs)
                self._add(self.month_secs, (officer.badge, month_key(record.day)), secs)
                self._add(self.day_jobs, (officer.badge, ordinal), 1)
                self._add(self.month_jobs, (officer.badge, month_key(record.day)), 1)

    @classmethod
    def for_registry(cls, roster: Roster, registry: Any) -> "OfficerBook":
        """A book with each roster agency's zone and caps from the installed plugins."""
        zones, caps = {}, {}
        for agency in roster.agencies:
            rules = registry.rules(agency)
            zones[agency] = rules.info.tz
            caps[agency] = rules.caps
        return cls(roster, zones, caps)

    @staticmethod
    def _add(table: dict, key: tuple, value: int) -> None:
        new = table.get(key, 0) + value
        if new:
            table[key] = new
        else:
            table.pop(key, None)

    # --- shapes and lookups ---------------------------------------------------------------

    def tz(self, officer: Officer) -> ZoneInfo:
        return self.zones[officer.agency]

    def shape(self, officer: Officer, start: datetime, end: datetime) -> ShiftShape:
        last = self._last_shape
        if last is not None and last[0] is start and last[1] is end and last[2] == officer.agency:
            return last[3]  # the shift just checked is being booked
        return shape_of(start, end, self.zones[officer.agency].key, self.caps[officer.agency].week_start)

    def shift_shape(self, officer: Officer, shift: "Shift") -> ShiftShape:
        """:meth:`shape` of ``shift`` for ``officer``'s home agency (kept on the shift: every
        rule of a check, and every check of the shift, asks for it)."""
        key = self._shape_keys[officer.agency]
        kept = shift.shapes
        if type(kept) is tuple:
            if kept[0] == key:
                self._last_shape = (shift.start, shift.end, officer.agency, kept[1])
                return kept[1]
            kept = {kept[0]: kept[1]}
            object.__setattr__(shift, "shapes", kept)
        elif kept is not None:
            shape = kept.get(key)
            if shape is not None:
                return shape
        shape = shape_of(shift.start, shift.end, key[0], key[1])
        self._last_shape = (shift.start, shift.end, officer.agency, shape)
        if kept is None:
            object.__setattr__(shift, "shapes", (key, shape))
        else:
            kept[key] = shape
        return shape

    def duty_starts(self, officer: Officer) -> tuple[dict[int, int | None], int, dict[int, str]]:
        """``officer``'s on-duty shift start (epoch seconds, or None when off) by local day
        ordinal, filled in as days are asked for (``schedule.duty_start``); the shift's length
        in seconds; and a place to keep the wording of each duty shift for messages.
        Officers with equal schedules in one zone share the tables."""
        schedule = officer.schedule
        entry = self._duty.get(officer.badge)
        tz_name = self.zones[officer.agency].key
        if entry is None or entry[0] is not schedule or entry[1] != tz_name:
            key = (schedule, tz_name)
            table = self._duty_by_schedule.get(key)
            if table is None:
                table = self._duty_by_schedule[key] = ({}, int(schedule.shift_hours * 3600), {})
            entry = self._duty[officer.badge] = (schedule, tz_name) + table
        return entry[2], entry[3], entry[4]

    def holder(self, key: ShiftKey) -> str | None:
        booking = self._bookings.get(key)
        return booking.badge if booking else None

    def booking(self, key: ShiftKey) -> Booking | None:
        return self._bookings.get(key)

    def bookings_of(self, badge: str) -> list[tuple[int, int, ShiftKey]]:
        return list(self._entries.get(badge, ()))

    def neighbours(self, badge: str, start: int, end: int, ignore: ShiftKey | None = None
                   ) -> tuple[tuple[int, int, ShiftKey] | None, tuple[int, int, ShiftKey] | None]:
        """The last booking of ``badge`` that starts before ``start`` and the first that
        starts at or after it (skipping ``ignore``).  Bookings never overlap, so these two
        alone decide overlap and rest."""
        last = self._last_neighbours
        key = (badge, start, ignore, self._stamp)
        if last is not None and last[0] == key:
            return last[1]
        starts = self._starts.get(badge)
        if not starts:
            return None, None
        entries = self._entries[badge]
        i = bisect_left(starts, start)
        prev = nxt = None
        j = i - 1
        while j >= 0:
            if entries[j][2] != ignore:
                prev = entries[j]
                break
            j -= 1
        j = i
        while j < len(entries):
            if entries[j][2] != ignore:
                nxt = entries[j]
                break
            j += 1
        self._last_neighbours = (key, (prev, nxt))
        return prev, nxt

    def held(self, badge: str, key: ShiftKey) -> ShiftShape | None:
        """The hours of ``badge``'s own booking of ``key`` (ignored when re-checking it)."""
        booking = self._bookings.get(key)
        return booking.hours if booking is not None and booking.badge == badge else None

    # --- changes --------------------------------------------------------------------------

    def book(self, officer: Officer, key: ShiftKey, start: datetime, end: datetime) -> Booking:
        """Book ``officer`` on shift ``key`` for ``[start, end)``: O(k) list insert in the
        officer's own bookings (k is small) and O(days) dict updates."""
        if key in self._bookings:
            raise InputError("shift", f"{key[0]} slot {key[1]}",
                             f"is already booked to badge {self._bookings[key].badge}")
        shape = self.shape(officer, start, end)
        badge = officer.badge
        starts = self._starts.setdefault(badge, [])
        entries = self._entries.setdefault(badge, [])
        i = bisect_left(starts, shape.start)
        starts.insert(i, shape.start)
        entries.insert(i, (shape.start, shape.end, key))
        booking = Booking(badge=badge, key=key, start=shape.start, end=shape.end, hours=shape)
        self._bookings[key] = booking
        self._stamp += 1
        self._count(badge, shape, +1)
        return booking

    def unbook(self, key: ShiftKey) -> Booking | None:
        booking = self._bookings.pop(key, None)
        if booking is None:
            return None
        starts = self._starts[booking.badge]
        entries = self._entries[booking.badge]
        i = bisect_left(starts, booking.start)
        while entries[i][2] != key:
            i += 1
        del starts[i]
        del entries[i]
        self._stamp += 1
        self._count(booking.badge, booking.hours, -1)
        return booking

    def rebook(self, key: ShiftKey, start: datetime, end: datetime) -> Booking:
        """Move ``key``'s booking to ``[start, end)`` (a moved start the officer accepted)."""
        booking = self._bookings.get(key)
        if booking is None:
            raise InputError("shift", f"{key[0]} slot {key[1]}", "is not booked")
        officer = self.roster.get(booking.badge)
        self.unbook(key)
        return self.book(officer, key, start, end)

    def set_hours(self, key: ShiftKey, start: datetime, end: datetime) -> Booking:
        """Count ``[start, end)`` (hours actually worked) instead of the scheduled span; the
        booked interval, which overlap and rest look at, stays the scheduled one."""
        booking = self._bookings.get(key)
        if booking is None:
            raise InputError("shift", f"{key[0]} slot {key[1]}", "is not booked")
        officer = self.roster.get(booking.badge)
        shape = self.shape(officer, start, end)
        if shape is booking.hours or shape == booking.hours:
            return booking  # worked as scheduled: the counts stand
        self._count(booking.badge, booking.hours, -1)
        self._count(booking.badge, shape, +1)
        updated = Booking(badge=booking.badge, key=booking.key, start=booking.start, end=booking.end, hours=shape)
        self._bookings[key] = updated
        self._stamp += 1
        return updated

    def _count(self, badge: str, shape: ShiftShape, sign: int) -> None:
        # _add(table, (badge, k), value) for each piece, inlined: every booking, unbooking and
        # worked-hours change comes here.
        for table, pieces in ((self.day_secs, shape.days), (self.week_secs, shape.weeks),
                              (self.month_secs, shape.months)):
            for k, secs in pieces:
                key = (badge, k)
                new = table.get(key, 0) + sign * secs
                if new:
                    table[key] = new
                else:
                    table.pop(key, None)
        self._add(self.day_jobs, (badge, shape.first_day), sign)
        self._add(self.month_jobs, (badge, _month_of_ordinal(shape.first_day)), sign)

    # --- look-backs (fairness, bidding order) ---------------------------------------------

    def lookback(self, officer: Officer, kind: str, now: datetime) -> int:
        """Off-duty seconds (or jobs, for ``job_count``) on local dates in the look-back
        ending today: ``year_to_date`` (1 January to today), ``rolling_30_days`` (today and
        the 29 days before) or ``job_count`` (jobs starting 1 January to today).  Hours
        already scheduled later today count."""
        badge = officer.badge
        today = now.astimezone(self.zones[officer.agency]).date()
        if kind == "rolling_30_days":
            t = today.toordinal()
            return sum(self.day_secs.get((badge, d), 0) for d in range(t - 29, t + 1))
        if kind not in ("year_to_date", "job_count"):
            raise InputError("lookback", kind, "look-backs are year_to_date, rolling_30_days, job_count")
        by_month, by_day = (self.month_jobs, self.day_jobs) if kind == "job_count" else (self.month_secs, self.day_secs)
        total = sum(by_month.get((badge, today.year * 12 + m), 0) for m in range(today.month - 1))
        first = today.replace(day=1).toordinal()
        return total + sum(by_day.get((badge, d), 0) for d in range(first, today.toordinal() + 1))


# --- rules ------------------------------------------------------------------------------


class Rule(Protocol):
    """An eligibility rule: ``name`` and ``check`` returning None or a readable reason."""

    name: str

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None: ...


@attrs.frozen
class ApprovedActive:
    name = "approved-active"

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        if not officer.approved:
            return "not approved for off-duty work"
        if not officer.active:
            return "not active (on leave or suspended)"
        return None


@attrs.frozen
class RoleRank:
    name = "rank"

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        if shift.ranks is not None and officer.rank not in shift.ranks:
            allowed = " or ".join(sorted(r.value for r in shift.ranks))
            return f"a {shift.role} slot needs {allowed} rank; rank is {officer.rank.value}"
        return None


@attrs.frozen
class Qualification:
    name = "qualification"

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        if shift.qualifications <= officer.qualifications:
            return None
        missing = shift.qualifications - officer.qualifications
        if missing:
            held = ", ".join(sorted(officer.qualifications)) or "none"
            return (f"a {shift.category} job needs qualification {', '.join(sorted(missing))}; "
                    f"holds {held}")
        return None


@attrs.frozen
class Barred:
    name = "barred"

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        if officer.badge in shift.barred:
            return f"barred from {shift.label} (could not work its moved start time, or dropped it)"
        return None


@attrs.frozen
class OnDuty:
    """Not on duty during the shift; rested before the next on-duty shift."""

    name = "on-duty"
    rest_before_duty: bool = True

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        """The objection's facts, unworded: (duty start, end, rest needed) or None."""
        schedule = officer.schedule
        if schedule is None:
            return None
        gap = book.rest_secs[officer.agency] if self.rest_before_duty else 0
        s, e = shift.start_ts, shift.end_ts
        first = book.shift_shape(officer, shift).first_day - 1
        last = first + 2 + (e + gap - s) // 86400  # a superset of the days that matter
        starts, length, _texts = book.duty_starts(officer)
        for day in range(first, last + 1):
            a = starts.get(day, _UNKNOWN)
            if a is _UNKNOWN:
                a = starts[day] = schedule.duty_start(day, book.zones[officer.agency].key)
            if a is None:
                continue
            b = a + length
            if a < e and s < b:
                return (a, b, 0)
            if gap and e <= a < e + gap:
                return (a, b, gap)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        a, b, gap = found
        if not gap:
            texts = book.duty_starts(officer)[2]
            text = texts.get(a)
            if text is None:  # the same duty shift is met by many checks: word it once
                text = texts[a] = (f"on duty {_span(a, b, book.tz(officer))} ({officer.schedule.describe()}), "
                                   "which overlaps the shift")
            return text
        return (f"only {fmt_gap(a - shift.end_ts)} rest before going on duty at {_local(a, book.tz(officer))}; "
                f"the minimum is {fmt_gap(gap)}")


_UNKNOWN = object()


def _booked_label(key: ShiftKey) -> str:
    return f"{key[0]} slot {key[1]}"


@attrs.frozen
class NoOverlap:
    name = "overlap"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        s, e = shift.start_ts, shift.end_ts
        prev, nxt = book.neighbours(officer.badge, s, e, ignore=shift.key)
        for other in (prev, nxt):
            if other is not None and other[0] < e and s < other[1]:
                return other
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        other = self.find(officer, shift, book)
        if other is None:
            return None
        return (f"already booked on {_booked_label(other[2])} ({_span(other[0], other[1], book.tz(officer))}), "
                "which overlaps")


@attrs.frozen
class MinimumRest:
    name = "rest"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        gap = book.rest_secs[officer.agency]
        if gap <= 0:
            return None
        s, e = shift.start_ts, shift.end_ts
        prev, nxt = book.neighbours(officer.badge, s, e, ignore=shift.key)
        if prev is not None and prev[1] <= s and s - prev[1] < gap:
            return (True, prev, gap)
        if nxt is not None and e <= nxt[0] and nxt[0] - e < gap:
            return (False, nxt, gap)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        after, other, gap = found
        tz = book.tz(officer)
        if after:
            return (f"only {fmt_gap(shift.start_ts - other[1])} rest after {_booked_label(other[2])} ending "
                    f"{_local(other[1], tz)}; the minimum is {fmt_gap(gap)}")
        return (f"only {fmt_gap(other[0] - shift.end_ts)} rest before {_booked_label(other[2])} starting "
                f"{_local(other[0], tz)}; the minimum is {fmt_gap(gap)}")


def _own(pieces: tuple[tuple[int, int], ...] | None, key: int) -> int:
    if not pieces:
        return 0
    for k, secs in pieces:
        if k == key:
            return secs
    return 0


@attrs.frozen
class DailyCap:
    name = "daily-cap"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        limit = book.cap_secs[officer.agency][0]
        if limit is None:
            return None
        shape = book.shift_shape(officer, shift)
        held = book.held(officer.badge, shift.key)
        for ordinal, secs in shape.days:
            have = book.day_secs.get((officer.badge, ordinal), 0) - _own(held and held.days, ordinal)
            if have + secs > limit:
                return (limit, ordinal, have, secs)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        limit, ordinal, have, secs = found
        return (f"daily cap {fmt_h(limit)} would be exceeded on {date.fromordinal(ordinal)}: "
                f"{fmt_h(have)} scheduled + {fmt_h(secs)}")


@attrs.frozen
class WeeklyCap:
    name = "weekly-cap"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        limit = book.cap_secs[officer.agency][1]
        if limit is None:
            return None
        shape = book.shift_shape(officer, shift)
        held = book.held(officer.badge, shift.key)
        for wk, secs in shape.weeks:
            have = book.week_secs.get((officer.badge, wk), 0) - _own(held and held.weeks, wk)
            if have + secs > limit:
                return (limit, wk, have, secs)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        limit, wk, have, secs = found
        first = date.fromordinal(wk * 7 + 1 + book.caps[officer.agency].week_start)
        return (f"weekly cap {fmt_h(limit)} would be exceeded: {fmt_h(have)} scheduled + {fmt_h(secs)} "
                f"(week from {first:%a} {first})")


@attrs.frozen
class MonthlyCap:
    name = "monthly-cap"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        limit = book.cap_secs[officer.agency][2]
        if limit is None:
            return None
        shape = book.shift_shape(officer, shift)
        held = book.held(officer.badge, shift.key)
        for mk, secs in shape.months:
            have = book.month_secs.get((officer.badge, mk), 0) - _own(held and held.months, mk)
            if have + secs > limit:
                return (limit, mk, have, secs)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        limit, mk, have, secs = found
        return (f"monthly cap {fmt_h(limit)} would be exceeded in {mk // 12}-{mk % 12 + 1:02d}: "
                f"{fmt_h(have)} scheduled + {fmt_h(secs)}")


@attrs.frozen
class JobsPerDay:
    """At most ``limit`` off-duty jobs starting on one local day (immediate release)."""

    limit: int
    name = "jobs-per-day"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        shape = book.shift_shape(officer, shift)
        have = book.day_jobs.get((officer.badge, shape.first_day), 0)
        held = book.held(officer.badge, shift.key)
        if held is not None and held.first_day == shape.first_day:
            have -= 1  # re-checking the officer's own booking, still on the same day
        if have + 1 > self.limit:
            return (have, shape.first_day)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        have, first_day = found
        return (f"already has {have} job{'s' if have != 1 else ''} on {date.fromordinal(first_day)}; "
                f"the limit is {self.limit} a day")


@attrs.frozen
class FunctionRule:
    """Adapt a plain function ``check(officer, shift, book) -> str | None`` into a rule."""

    name: str
    function: Callable[[Officer, Shift, OfficerBook], str | None]

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        return self.function(officer, shift, book)


#: Rules whose answer depends only on the officer, the shift and the book's state.
_BOOK_RULES: frozenset[type] = frozenset({ApprovedActive, RoleRank, Qualification, Barred, OnDuty, NoOverlap,
                                          MinimumRest, DailyCap, WeeklyCap, MonthlyCap, JobsPerDay})


def core_rules() -> tuple[Rule, ...]:
    """The core's rules, cheapest first."""
    return (ApprovedActive(), RoleRank(), Qualification(), Barred(), OnDuty(), NoOverlap(), MinimumRest(),
            DailyCap(), WeeklyCap(), MonthlyCap())


#: The types of :func:`core_rules`, in order (see :func:`_first_core_objection`).
_CORE_TYPES: tuple[type, ...] = (ApprovedActive, RoleRank, Qualification, Barred, OnDuty, NoOverlap, MinimumRest,
                                 DailyCap, WeeklyCap, MonthlyCap)


def _first_core_objection(officer: Officer, shift: Shift, book: OfficerBook, duty_rest: bool) -> int:
    """The index in :func:`core_rules` of the first core rule that objects, or -1.

    The same questions as the rules' ``check`` (approved-active .. barred) and ``find``
    (on-duty .. monthly-cap), asked in the same order and stopping at the same rule, fused
    into two calls: ``objection`` runs for every officer who looks at a posting, and ten rule
    calls, each looking up the same book tables, cost more than the checks themselves.
    ``duty_rest`` is the :class:`OnDuty` rule's ``rest_before_duty``.  Keep it in step with the
    rules' ``find``/``check`` (tests/test_eligibility.py compares the two on random books).
    """
    index = _fixed_core_objection(officer, shift, book, duty_rest)
    return index if index >= 0 else _booked_core_objection(officer, shift, book)


def _fixed_core_objection(officer: Officer, shift: Shift, book: OfficerBook, duty_rest: bool) -> int:
    """The first of the core rules that look only at the officer and the shift (approved-active,
    rank, qualification, barred, on-duty: indexes 0 to 4) to object, or -1.  Their answer does
    not depend on what is booked, so it stands for as long as the officer and the shift do."""
    # approved-active, rank, qualification, barred
    if not officer.approved or not officer.active:
        return 0
    ranks = shift.ranks
    if ranks is not None and officer.rank not in ranks:
        return 1
    needs = shift.qualifications
    if not needs <= officer.qualifications and needs - officer.qualifications:
        return 2
    badge = officer.badge
    if badge in shift.barred:
        return 3
    # on-duty (OnDuty.find): a duty shift [a, a + length) starting on one of the days around
    # the shift objects if it overlaps [s, e) (s - length < a < e), or starts less than ``gap``
    # after e (e <= a < e + gap; then it also ends after s): together s - length < a < high.
    schedule = officer.schedule
    if schedule is None:
        return -1
    agency = officer.agency
    s, e = shift.start_ts, shift.end_ts
    gap = book.rest_secs[agency] if duty_rest else 0
    first = book.shift_shape(officer, shift).first_day - 1
    last = first + 2 + (e + gap - s) // 86400  # a superset of the days that matter
    tz_name = book.zones[agency].key
    entry = book._duty.get(badge)  # OfficerBook.duty_starts, inlined
    if entry is None or entry[0] is not schedule or entry[1] != tz_name:
        starts, length, _texts = book.duty_starts(officer)
    else:
        starts, length = entry[2], entry[3]
    if length < 0:  # not a real schedule (lengths are > 0): ask the rule itself
        return 4 if OnDuty(rest_before_duty=duty_rest).find(officer, shift, book) is not None else -1
    low, high = s - length, (e + gap if gap > 0 else e)
    for day in range(first, last + 1):
        a = starts.get(day, _UNKNOWN)
        if a is _UNKNOWN:
            a = starts[day] = schedule.duty_start(day, tz_name)
        if a is not None and low < a < high:
            return 4
    return -1


def _booked_core_objection(officer: Officer, shift: Shift, book: OfficerBook) -> int:
    """The first of the core rules that look at the officer's bookings (no-overlap,
    minimum-rest, daily, weekly and monthly caps: indexes 5 to 9) to object, or -1."""
    badge = officer.badge
    agency = officer.agency
    s, e = shift.start_ts, shift.end_ts
    rest = book.rest_secs[agency]
    # overlap and rest (NoOverlap.find, MinimumRest.find): the bookings just before and after,
    # skipping this shift's own booking.
    key = (shift.request_id, shift.slot)
    if book._starts.get(badge):
        prev, nxt = book.neighbours(badge, s, e, ignore=key)
        if prev is not None and prev[0] < e and s < prev[1]:
            return 5
        if nxt is not None and nxt[0] < e and s < nxt[1]:
            return 5
        if rest > 0:
            if prev is not None and prev[1] <= s and s - prev[1] < rest:
                return 6
            if nxt is not None and e <= nxt[0] and nxt[0] - e < rest:
                return 6
    # daily, weekly, monthly caps (DailyCap.find, ...): hours already counted, less this
    # officer's own booking of the shift when re-checking it.
    daily, weekly, monthly = book.cap_secs[agency]
    if daily is None and weekly is None and monthly is None:
        return -1
    shape = book.shift_shape(officer, shift)
    booking = book._bookings.get(key)
    held = booking.hours if booking is not None and booking.badge == badge else None
    for index, cap, table, pieces, own in (
            (7, daily, book.day_secs, shape.days, held.days if held is not None else None),
            (8, weekly, book.week_secs, shape.weeks, held.weeks if held is not None else None),
            (9, monthly, book.month_secs, shape.months, held.months if held is not None else None)):
        if cap is None:
            continue
        for k, secs in pieces:
            have = table.get((badge, k), 0) - (_own(own, k) if own is not None else 0)
            if have + secs > cap:
                return index
    return -1


@attrs.frozen
class Reason:
    """Why ``badge`` may not take a shift: the rule that objected and its words."""

    badge: str
    rule: str
    text: str

    def __str__(self) -> str:
        return f"badge {self.badge}: {self.text}"


class Eligibility:
    """Runs a list of rules against the book; the first objection is the reason."""

    def __init__(self, book: OfficerBook, rules: Sequence[Rule] | None = None):
        self.book = book
        self.rules: tuple[Rule, ...] = tuple(core_rules() if rules is None else rules)
        check_rules(self.rules)
        # With only the core's rules (functions of the officer, the shift and the book), the
        # answer for the same officer and shift stands until the book changes: the last one
        # is kept (an officer's answer is checked by the caller, on the answer and on the
        # award, one after the other).
        self._pure = all(type(rule) in _BOOK_RULES for rule in self.rules)
        self._last: tuple | None = None  # (officer, shift, book stamp, rule index or -1, Reason or None)
        # How to ask each rule whether it objects without wording it (objection()): the core
        # rules' find() (the wording is the costly part), any other rule's check().
        self._tests = tuple(rule.find if type(rule) in _BOOK_RULES and hasattr(rule, "find") else rule.check
                            for rule in self.rules)
        # Rules that start with exactly the core rules (the board's always do) have those
        # asked in one call (_first_core_objection); ``_core`` is how many that covers.
        n = len(_CORE_TYPES)
        self._core = n if tuple(type(rule) for rule in self.rules[:n]) == _CORE_TYPES else 0
        self._duty_rest = self.rules[4].rest_before_duty if self._core else True

    def with_rules(self, extra: Iterable[Rule]) -> "Eligibility":
        return Eligibility(self.book, self.rules + tuple(extra))

    def why_not(self, officer: Officer, shift: Shift) -> Reason | None:
        book = self.book
        last = self._last
        if last is not None and last[0] is officer and last[1] is shift and last[2] == book._stamp:
            index, reason = last[3], last[4]
            if index < 0 or reason is not None:
                return reason
            rule = self.rules[index]  # the objection is known: word it
            reason = Reason(officer.badge, rule.name, rule.check(officer, shift, book))
            self._last = (officer, shift, last[2], index, reason)
            return reason
        index, found = -1, None
        core = self._core
        if core:
            index = _first_core_objection(officer, shift, book, self._duty_rest)
            if index >= 0:
                rule = self.rules[index]
                found = Reason(officer.badge, rule.name, rule.check(officer, shift, book))
        if index < 0:
            for i in range(core, len(self.rules)):
                rule = self.rules[i]
                text = rule.check(officer, shift, book)
                if text:
                    index, found = i, Reason(officer.badge, rule.name, text)
                    break
        if self._pure:
            self._last = (officer, shift, book._stamp, index, found)
        return found

    def objection(self, officer: Officer, shift: Shift) -> str | None:
        """The name of the first rule that objects (None: eligible), as :meth:`why_not` would
        give it, without wording the reason."""
        book = self.book
        last = self._last
        if last is not None and last[0] is officer and last[1] is shift and last[2] == book._stamp:
            return None if last[3] < 0 else self.rules[last[3]].name
        core = self._core
        index = _first_core_objection(officer, shift, book, self._duty_rest) if core else -1
        if index < 0:
            tests = self._tests
            for i in range(core, len(tests)):
                if tests[i](officer, shift, book):
                    index = i
                    break
        if self._pure:
            self._last = (officer, shift, book._stamp, index, None)
        return None if index < 0 else self.rules[index].name

    def fixed_objection(self, officer: Officer, shift: Shift) -> bool:
        """True when a rule that looks only at the officer and the shift objects (approved and
        active, rank, qualification, barred, on duty): an answer that stands whatever is
        booked, for as long as the officer and the shift stay as they are.  False when none
        does, and also when the rules do not start with the core's (it cannot tell then).

        The first objection is then one of those rules, never a cap: a simulator can treat
        such an officer as certain to be refused without asking :meth:`objection` later."""
        return bool(self._core) and _fixed_core_objection(officer, shift, self.book, self._duty_rest) >= 0

    def reasons(self, officer: Officer, shift: Shift) -> list[Reason]:
        """Every objection (for ``offduty explain``), not only the first."""
        out = []
        for rule in self.rules:
            text = rule.check(officer, shift, self.book)
            if text:
                out.append(Reason(officer.badge, rule.name, text))
        return out

    def eligible(self, officer: Officer, shift: Shift) -> bool:
        return self.why_not(officer, shift) is None

    def first_eligible(self, officers: Iterable[Officer], shift: Shift, limit: int = 1) -> list[Officer]:
        """The first ``limit`` eligible officers of ``officers`` (in their order): stops as
        soon as it has them."""
        out = []
        for officer in officers:
            if self.why_not(officer, shift) is None:
                out.append(officer)
                if len(out) >= limit:
                    break
        return out


def check_rules(rules: Iterable[Any]) -> None:
    names: set[str] = set()
    for rule in rules:
        name = getattr(rule, "name", None)
        if not isinstance(name, str) or not name or not callable(getattr(rule, "check", None)):
            raise PluginError(f"eligibility rule {rule!r} needs a 'name' and a check(officer, shift, book) method")
        if name in names:
            raise PluginError(f"eligibility rule {name!r} is registered twice")
        names.add(name)
