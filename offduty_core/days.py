"""Integer time and an agency's table of local days.

Inside the engine an instant is whole seconds since 1970-01-01 UTC (:func:`epoch`), and a
stretch of time is cut at the agency's local midnights by looking them up in a
:class:`DayTable`: one row per local date with its midnight in epoch seconds and its
holiday, built once per year the first time that year is needed.  Datetimes remain at the
edges (parsing stories, words on an invoice, a plugin hook that asks for one).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .calendars import HolidayCalendar
from .errors import InputError
from .timeutil import localize_midnight

UTC = timezone.utc
_new = tuple.__new__  # a named tuple made from its fields in order, without its keyword-matching __new__
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch(value: datetime) -> int:
    """Whole seconds since the epoch of an aware datetime, rounded down (exact: no float on
    the way).  Read off the difference's days and seconds (a timedelta keeps its seconds in
    0..86399 and its microseconds apart), which costs half of dividing it by one second."""
    delta = value - EPOCH
    return delta.days * 86400 + delta.seconds


def from_epoch(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def week_key(day_ordinal: int, week_start: int) -> int:
    """Index of the week (starting on ``week_start``, 0 = Monday) that holds the day with
    ``day_ordinal`` (:meth:`date.toordinal`): an integer key for hours booked per week."""
    # date(1, 1, 1) has ordinal 1 and is a Monday.
    return (day_ordinal - 1 - week_start) // 7


def month_key(day: date) -> int:
    """An integer key for the calendar month holding ``day`` (year * 12 + month - 1)."""
    return day.year * 12 + day.month - 1


class Piece(NamedTuple):
    """A stretch of billed time inside one local day and between two rate splits.

    ``start`` and ``end`` are epoch seconds; ``day`` the local date; ``holiday`` the listed
    holiday's label that applies (or None); ``offset`` how many seconds of the same
    interval came before this piece (overtime "after the 10th hour" reads it).
    """

    day: date
    start: int
    end: int
    holiday: str | None
    offset: int

    @property
    def seconds(self) -> int:
        return self.end - self.start


class _Year(NamedTuple):
    midnights: list[int]  # the year's local midnights, and the next year's first
    first: date
    holidays: dict[int, str]  # day number within the year -> label
    # day number within the year -> (its date, the epoch instants of the rate splits'
    # local times that day), filled in as days are cut (see DayTable._day)
    days: dict[int, tuple[date, tuple[int, ...]]]


class DayTable:
    """An agency's local days: midnights, holidays, and the splits of billed time.

    ``split_at`` are local times of day where a night differential
    starts or ends; ``split_after`` are seconds from an interval's start where an overtime
    rate starts.  Both come from the spec's :class:`~offduty_core.spec.RateSplits`.
    """

    def __init__(self, tz: ZoneInfo, holidays: HolidayCalendar | None, split_at: tuple[time, ...] = (),
                 split_after: tuple[int, ...] = ()):
        self.tz = tz
        self.holidays = holidays
        self.split_at = split_at
        self.split_after = split_after
        self._years: dict[int, _Year] = {}
        self._dates: dict[int, date] = {}
        self._last: _Year | None = None

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            if not 1 <= year <= 9998:
                raise InputError("date", str(year), "years 1 to 9998 are supported")
            first = date(year, 1, 1)
            days = (date(year + 1, 1, 1) - first).days
            midnights = [epoch(localize_midnight(first + timedelta(days=i), self.tz)) for i in range(days + 1)]
            holidays: dict[int, str] = {}
            if self.holidays is not None:
                for day, label in self.holidays.dates(year).items():
                    holidays[(day - first).days] = label
            found = self._years[year] = _Year(midnights, first, holidays, {})
        return found

    def locate(self, instant: int) -> tuple[_Year, int]:
        """The year and the day number within it of the local day holding ``instant``."""
        table = self._last
        if table is None or not table.midnights[0] <= instant < table.midnights[-1]:
            year = from_epoch(instant).year
            table = self._year(year)
            if instant < table.midnights[0]:
                table = self._year(year - 1)
            elif instant >= table.midnights[-1]:
                table = self._year(year + 1)
            self._last = table  # the next instant is most likely in the same year
        return table, bisect_right(table.midnights, instant) - 1

    def local_date(self, instant: int) -> date:
        found = self._dates.get(instant)
        if found is None:
            table, index = self.locate(instant)
            found = table.first + timedelta(days=index)
            if len(self._dates) > 20_000:  # bounded: a year asks for a few thousand instants at a time
                self._dates.clear()
            self._dates[instant] = found
        return found

    def day_ordinal(self, instant: int) -> int:
        """The ordinal (:meth:`date.toordinal`) of the local day holding ``instant``."""
        return self.local_date(instant).toordinal()

    def week_of(self, instant: int, week_start: int) -> int:
        """:func:`week_key` of the local week (starting on ``week_start``) holding ``instant``."""
        return week_key(self.local_date(instant).toordinal(), week_start)

    def month_of(self, instant: int) -> int:
        """:func:`month_key` of the local month holding ``instant``."""
        return month_key(self.local_date(instant))

    def holiday(self, day: date) -> str | None:
        return self._year(day.year).holidays.get((day - date(day.year, 1, 1)).days)

    def _day(self, table: _Year, index: int) -> tuple[date, tuple[int, ...]]:
        """Day ``index`` of ``table``: its date and the instants of the rate splits' local
        times on it (kept on the year: the same days are cut again and again, and each
        instant needs a datetime in the agency's zone)."""
        day = table.first + timedelta(days=index)
        found = table.days[index] = (day, tuple(epoch(datetime.combine(day, at, tzinfo=self.tz))
                                                for at in self.split_at))
        return found

    def pieces(self, start: int, end: int) -> tuple[Piece, ...]:
        """``[start, end)`` cut at local midnights and the rate splits.  Not kept here: its
        one caller, pricing, keeps the segments it makes of them by interval (the pieces of
        a year's intervals, nearly all asked for once, were kept twice)."""
        out: list[Piece] = []
        if end <= start:
            return ()
        table, index = self.locate(start)
        if not self.split_at and not self.split_after and end <= table.midnights[index + 1]:
            # Inside one local day with no rate splits (most shifts): one piece, no cutting.
            return (_new(Piece, (table.first + timedelta(days=index), start, end, table.holidays.get(index), 0)),)
        cuts = {start + s for s in self.split_after if start + s < end}
        cursor = start
        while cursor < end:
            midnights = table.midnights
            if index + 1 >= len(midnights):
                table, index = self.locate(cursor)
                midnights = table.midnights
            day_end = midnights[index + 1]
            stop = min(day_end, end)
            day, day_cuts = table.days.get(index) or self._day(table, index)
            for cut in day_cuts:
                if cursor < cut < stop:
                    cuts.add(cut)
            label = table.holidays.get(index)
            for cut in sorted(c for c in cuts if cursor < c < stop):
                out.append(_new(Piece, (day, cursor, cut, label, cursor - start)))
                cursor = cut
            if cursor < stop:
                out.append(_new(Piece, (day, cursor, stop, label, cursor - start)))
            cursor = stop
            index += 1
        if self.holidays is not None and self.holidays.whole_shift:
            label = next((p.holiday for p in out if p.holiday), None)
            if label is not None:
                out = [p._replace(holiday=label) for p in out]
        return tuple(out)
