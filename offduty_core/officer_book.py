"""The :class:`OfficerBook`: who is booked on which off-duty shift, and the hours booked per
officer and local day, week and month (integer-keyed tables), that eligibility reads.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo


from .days import month_key, week_key
from .errors import InputError
from .officers import CYCLES, CycleSchedule, Officer, Roster
from .spec import HourCaps
from .shifts import Booking, Shift, ShiftKey, ShiftShape, _month_of_ordinal, shape_at, shape_of

_UNIX_ORDINAL = date(1970, 1, 1).toordinal()
_new = tuple.__new__


class DutyStarts:
    """One duty schedule's on-duty start instants in one zone: epoch seconds, ascending, for
    the local days ``first_day`` .. ``last_day`` (worked out as they are needed, three weeks
    ahead at a time: a simulated year asks about days in order).

    The on-duty rule asks whether a duty shift starts in an open interval of instants
    (:meth:`first_in`): one bisect, instead of looking up the days around the shift one by
    one.  Local days and starts are both in order (a day's start is 23 to 25 hours after the
    day before's), and a UTC offset is under a day, so the table holds every start in
    ``[lo, hi)``.
    """

    __slots__ = ("schedule", "tz_name", "length", "starts", "first_day", "last_day", "lo", "hi", "texts")

    #: Days worked out beyond the last one asked for.
    AHEAD = 21

    def __init__(self, schedule: Any, tz_name: str):
        self.schedule = schedule
        self.tz_name = tz_name
        self.length = int(schedule.shift_hours * 3600)  # seconds on duty
        self.starts: list[int] = []
        self.first_day = self.last_day = 0
        self.lo = self.hi = 0  # every start in [lo, hi) is in ``starts``
        # The wording of each duty shift met by a message, by (start, schedule): schedules
        # sharing the table describe themselves in their own words.
        self.texts: dict[tuple, str] = {}

    def first_in(self, low: int, high: int) -> int | None:
        """The earliest duty start ``a`` with ``low < a < high``, or None."""
        if low < self.lo or high > self.hi:
            self.cover(low, high)
        starts = self.starts
        i = bisect_right(starts, low)
        if i < len(starts) and starts[i] < high:
            return starts[i]
        return None

    def cover(self, low: int, high: int) -> None:
        """Work out the starts of the local days that can hold an instant in ``[low, high]``."""
        first = low // 86400 + _UNIX_ORDINAL - 1  # a local day starts within a day of the UTC one
        last = -(-high // 86400) + _UNIX_ORDINAL
        if self.lo == self.hi:  # nothing worked out yet
            self.first_day, self.last_day = first, last + self.AHEAD
            self.starts = self._days(self.first_day, self.last_day)
        else:
            if first < self.first_day:
                self.starts[:0] = self._days(first, self.first_day - 1)
                self.first_day = first
            if last > self.last_day:
                self.starts += self._days(self.last_day + 1, last + self.AHEAD)
                self.last_day = last + self.AHEAD
        # A start on day d lies within ((d - 1) * 86400, (d + 2) * 86400) of the epoch day d.
        self.lo = (self.first_day - _UNIX_ORDINAL + 1) * 86400
        self.hi = (self.last_day - _UNIX_ORDINAL) * 86400

    def _days(self, first: int, last: int) -> list[int]:
        return self.schedule.duty_starts(first, last, self.tz_name)



def _same_duty(schedule: Any) -> Any:
    """A key equal for schedules on duty at the same instants: the schedule itself, or for a
    cycle its pattern, start, length and anchor modulo the cycle's length (officers whole
    cycles apart work the same days; a roster's anchors spread over two cycles or more, and
    each table is worked out day by day for the whole year)."""
    if type(schedule) is CycleSchedule:
        return (CycleSchedule, schedule.pattern, schedule.shift_start, schedule.shift_hours,
                schedule.anchor.toordinal() % len(CYCLES[schedule.pattern][0]))
    return schedule


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
        self._longest_rest = max(self.rest_secs.values(), default=0)
        # Cap limits in whole seconds (None: no cap), computed once rather than per check.
        self.cap_secs: dict[str, tuple[int | None, int | None, int | None]] = {
            a: tuple(None if v is None else int(v * 3600) for v in (c.daily, c.weekly, c.monthly))
            for a, c in self.caps.items()}
        self._shape_keys: dict[str, tuple[str, int]] = {
            a: (self.zones[a].key, self.caps[a].week_start) for a in self.zones if a in self.caps}
        # Changes with every booking (answers kept for a state of the book check it).
        self._stamp = 0
        # On-duty start instants per (schedule, zone), and each officer's: see duty_table().
        self._duty_by_schedule: dict[tuple, DutyStarts] = {}
        self._duty: dict[str, tuple[Officer, DutyStarts]] = {}
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
        return shape_of(start, end, self.zones[officer.agency].key, self.caps[officer.agency].week_start)

    def shift_shape(self, officer: Officer, shift: "Shift") -> ShiftShape:
        """:meth:`shape` of ``shift`` for ``officer``'s home agency (kept on the shift: every
        rule of a check, and every check of the shift, asks for it)."""
        key = self._shape_keys[officer.agency]
        kept = shift.shapes
        if type(kept) is tuple:
            if kept[0] == key:
                return kept[1]
            kept = {kept[0]: kept[1]}
            object.__setattr__(shift, "shapes", kept)
        elif kept is not None:
            shape = kept.get(key)
            if shape is not None:
                return shape
        start, end = shift.start, shift.end  # in UTC: the microseconds are the epoch's fraction
        if start.microsecond or end.microsecond or shift.start_ts < 0:
            shape = shape_of(start, end, key[0], key[1])
        else:  # the whole epoch seconds the shift already has
            shape = shape_at(shift.start_ts, shift.end_ts, key[0], key[1])
        if kept is None:
            object.__setattr__(shift, "shapes", (key, shape))
        else:
            kept[key] = shape
        return shape

    def duty_table(self, officer: Officer) -> "DutyStarts":
        """``officer``'s on-duty start instants (:class:`DutyStarts`).  Officers with equal
        schedules in one zone share one table (:func:`_same_duty`: also cycles a whole number
        of cycles apart); each officer's is kept by badge with the officer it was found for
        (an Officer is frozen: the same object, the same schedule and agency), so the hot path
        checks one identity."""
        tz_name = self.zones[officer.agency].key
        key = (_same_duty(officer.schedule), tz_name)
        table = self._duty_by_schedule.get(key)
        if table is None:
            table = self._duty_by_schedule[key] = DutyStarts(officer.schedule, tz_name)
        self._duty[officer.badge] = (officer, table)
        return table

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
        n = len(entries)
        while i < n:
            if entries[i][2] != ignore:
                nxt = entries[i]
                break
            i += 1
        return prev, nxt

    def held(self, badge: str, key: ShiftKey) -> ShiftShape | None:
        """The hours of ``badge``'s own booking of ``key`` (ignored when re-checking it)."""
        booking = self._bookings.get(key)
        return booking.hours if booking is not None and booking.badge == badge else None

    # --- changes --------------------------------------------------------------------------

    def book(self, officer: Officer, key: ShiftKey, start: datetime, end: datetime) -> Booking:
        """Book ``officer`` on shift ``key`` for ``[start, end)``: O(k) list insert in the
        officer's own bookings (k is small) and O(days) dict updates."""
        return self._book(officer, key, self.shape(officer, start, end))

    def book_shift(self, officer: Officer, shift: "Shift") -> Booking:
        """:meth:`book` ``officer`` on ``shift`` over its span, with the shape its checks
        worked out and kept on it (:meth:`shift_shape`): an award follows the check."""
        return self._book(officer, (shift.request_id, shift.slot), self.shift_shape(officer, shift))

    def _book(self, officer: Officer, key: ShiftKey, shape: ShiftShape) -> Booking:
        if key in self._bookings:
            raise InputError("shift", f"{key[0]} slot {key[1]}",
                             f"is already booked to badge {self._bookings[key].badge}")
        badge = officer.badge
        starts = self._starts.setdefault(badge, [])
        entries = self._entries.setdefault(badge, [])
        i = bisect_left(starts, shape.start)
        starts.insert(i, shape.start)
        entries.insert(i, (shape.start, shape.end, key))
        booking = _new(Booking, (badge, key, shape.start, shape.end, shape))  # a named tuple, without its keywords
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

    def forget(self, key: ShiftKey, now: int) -> None:
        """Stop holding ``key``'s booking: its job is settled, so nothing will unbook, move or
        re-check it.  Its hours stay counted in the day, week and month tables.  Its interval
        stays among the officer's bookings while overlap or rest could still see it; the
        officer's forgotten bookings that ended more than the longest minimum rest before
        ``now`` (epoch seconds; every shift checked from now on starts later) are dropped, so
        a year's book keeps what is pending, not every shift ever booked."""
        booking = self._bookings.pop(key, None)
        if booking is None:
            return
        entries, held = self._entries[booking.badge], self._bookings
        horizon = now - self._longest_rest  # the longest: no agency's rest reaches back further
        n = 0
        while n < len(entries) and entries[n][1] < horizon and entries[n][2] not in held:
            n += 1
        if n:
            del self._starts[booking.badge][:n]
            del entries[:n]
            self._stamp += 1

    def prune(self, now: int) -> None:
        """Drop the hours counted on days, weeks and months that nothing asked from ``now``
        (epoch seconds) on can read, for a caller whose clock only moves forward (the board
        of a simulated year): every shift checked from now on starts later (its days, weeks
        and months are today's or later), and look-backs read at most from 1 January of this
        year (months) and from 29 days back or the first of this month (days).  Local
        "today" is at least the UTC day before, so the horizons keep a margin."""
        day = now // 86400 + _UNIX_ORDINAL - 40
        year = date.fromordinal(day + 38).year  # this year in every zone: local today >= UTC today - 1
        for table, low in ((self.day_secs, day), (self.day_jobs, day), (self.week_secs, (day - 8) // 7),
                           (self.month_secs, year * 12), (self.month_jobs, year * 12)):
            old = [key for key in table if key[1] < low]
            for key in old:
                del table[key]

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
        hours = booking.hours
        if (not start.microsecond and not end.microsecond and int(start.timestamp()) == hours.start
                and int(end.timestamp()) == hours.end):
            return booking  # the span already counted (worked as scheduled): no shape to work out
        officer = self.roster.get(booking.badge)
        shape = self.shape(officer, start, end)
        if shape is hours or shape == hours:
            return booking  # worked as scheduled: the counts stand
        self._count(booking.badge, booking.hours, -1)
        self._count(booking.badge, shape, +1)
        updated = Booking(badge=booking.badge, key=booking.key, start=booking.start, end=booking.end, hours=shape)
        self._bookings[key] = updated
        self._stamp += 1
        return updated

    def _count(self, badge: str, shape: ShiftShape, sign: int) -> None:
        """Add (``sign`` +1) or take away (-1) ``shape``'s seconds and its job in the tables of
        ``badge``; a count that reaches 0 leaves its table.  ``_add`` for each piece, inlined:
        every booking, unbooking and worked-hours change comes here."""
        for table, pieces in ((self.day_secs, shape.days), (self.week_secs, shape.weeks),
                              (self.month_secs, shape.months)):
            for k, secs in pieces:
                key = (badge, k)
                new = table.get(key, 0) + sign * secs
                if new:
                    table[key] = new
                else:
                    table.pop(key, None)
        first = shape.first_day
        for table, key in ((self.day_jobs, (badge, first)), (self.month_jobs, (badge, _month_of_ordinal(first)))):
            new = table.get(key, 0) + sign
            if new:
                table[key] = new
            else:
                table.pop(key, None)

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
