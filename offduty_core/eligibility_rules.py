"""The eligibility rules: one small object per rule (``name``, ``check(officer, shift, book)``,
and ``find`` returning the objection's facts, worded only by ``check``), the core's list of
them (:func:`core_rules`), and the same core questions fused into two calls for the hot
path (:func:`_first_core_objection`).
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Protocol

import attrs

from .officers import Officer
from .officer_book import OfficerBook
from .shifts import Shift, ShiftKey, _local, _span, fmt_gap, fmt_h

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
        """The objection's facts, unworded: (duty start, end, rest needed) or None.  A duty
        shift ``[a, a + length)`` objects if it overlaps the shift (``s - length < a < e``) or
        starts less than the rest needed after it (``e <= a < e + gap``)."""
        if officer.schedule is None:
            return None
        gap = book.rest_secs[officer.agency] if self.rest_before_duty else 0
        s, e = shift.start_ts, shift.end_ts
        duty = book.duty_table(officer)
        a = duty.first_in(s - duty.length, e + gap if gap > 0 else e)
        if a is None:
            return None
        return (a, a + duty.length, 0 if a < e else gap)

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        a, b, gap = found
        if not gap:
            texts, schedule = book.duty_table(officer).texts, officer.schedule
            text = texts.get((a, schedule))
            if text is None:  # the same duty shift is met by many checks: word it once
                text = texts[a, schedule] = (f"on duty {_span(a, b, book.tz(officer))} ({schedule.describe()}), "
                                             "which overlaps the shift")
            return text
        return (f"only {fmt_gap(a - shift.end_ts)} rest before going on duty at {_local(a, book.tz(officer))}; "
                f"the minimum is {fmt_gap(gap)}")


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


#: Per cap period: its place in ``OfficerBook.cap_secs``, the book's table of seconds booked
#: per (badge, key), and the field of a ShiftShape (and of a booking's) listing (key, seconds).
_PERIODS: dict[str, tuple[int, str, str]] = {"daily": (0, "day_secs", "days"), "weekly": (1, "week_secs", "weeks"),
                                             "monthly": (2, "month_secs", "months")}


@attrs.frozen
class PeriodCap:
    """At most the officer's home agency's cap of off-duty hours in every local day, week
    (from the agency's week-start day) or month the shift touches (``period``: ``daily``,
    ``weekly`` or ``monthly``), counting hours already scheduled and worked.  One rule over
    a period: the three caps differ only in the book table they read and in their words."""

    period: str = attrs.field(validator=attrs.validators.in_(tuple(_PERIODS)))

    @property
    def name(self) -> str:
        return f"{self.period}-cap"

    def find(self, officer: Officer, shift: Shift, book: OfficerBook) -> tuple | None:
        """The objection's facts, unworded: (limit, period key, seconds already booked,
        seconds this shift adds), or None."""
        index, table_name, pieces_name = _PERIODS[self.period]
        limit = book.cap_secs[officer.agency][index]
        if limit is None:
            return None
        pieces = getattr(book.shift_shape(officer, shift), pieces_name)
        held = book.held(officer.badge, shift.key)
        own = getattr(held, pieces_name) if held is not None else None
        table, badge = getattr(book, table_name), officer.badge
        for key, secs in pieces:
            have = table.get((badge, key), 0) - _own(own, key)
            if have + secs > limit:
                return (limit, key, have, secs)
        return None

    def check(self, officer: Officer, shift: Shift, book: OfficerBook) -> str | None:
        found = self.find(officer, shift, book)
        if found is None:
            return None
        return self.words(found, officer, book)

    def words(self, found: tuple, officer: Officer, book: OfficerBook) -> str:
        """:meth:`find`'s facts as a coordinator reads them (only when shown)."""
        limit, key, have, secs = found
        if self.period == "daily":
            return (f"daily cap {fmt_h(limit)} would be exceeded on {date.fromordinal(key)}: "
                    f"{fmt_h(have)} scheduled + {fmt_h(secs)}")
        if self.period == "weekly":
            first = date.fromordinal(key * 7 + 1 + book.caps[officer.agency].week_start)
            return (f"weekly cap {fmt_h(limit)} would be exceeded: {fmt_h(have)} scheduled + {fmt_h(secs)} "
                    f"(week from {first:%a} {first})")
        return (f"monthly cap {fmt_h(limit)} would be exceeded in {key // 12}-{key % 12 + 1:02d}: "
                f"{fmt_h(have)} scheduled + {fmt_h(secs)}")


def DailyCap() -> PeriodCap:  # noqa: N802 (the rule's former class name)
    return PeriodCap("daily")


def WeeklyCap() -> PeriodCap:  # noqa: N802
    return PeriodCap("weekly")


def MonthlyCap() -> PeriodCap:  # noqa: N802
    return PeriodCap("monthly")


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
                                          MinimumRest, PeriodCap, JobsPerDay})


def core_rules() -> tuple[Rule, ...]:
    """The core's rules, cheapest first."""
    return (ApprovedActive(), RoleRank(), Qualification(), Barred(), OnDuty(), NoOverlap(), MinimumRest(),
            DailyCap(), WeeklyCap(), MonthlyCap())


#: The types of :func:`core_rules`, in order (see :func:`_first_core_objection`).
_CORE_TYPES: tuple[type, ...] = (ApprovedActive, RoleRank, Qualification, Barred, OnDuty, NoOverlap, MinimumRest,
                                 PeriodCap, PeriodCap, PeriodCap)
_CORE_PERIODS = ("daily", "weekly", "monthly")


def starts_with_core(rules: tuple) -> bool:
    """Whether ``rules`` begin with the core's rules in their order (the caps daily, weekly,
    monthly): then :func:`_first_core_objection` may ask them all in one call."""
    n = len(_CORE_TYPES)
    return (len(rules) >= n and tuple(type(rule) for rule in rules[:n]) == _CORE_TYPES
            and tuple(rule.period for rule in rules[n - 3:n]) == _CORE_PERIODS)


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
    # on-duty (OnDuty.find): a duty shift starting at a objects if s - length < a < e + gap
    # (it overlaps, or leaves too little rest before it); the officer's table of duty starts
    # as OfficerBook.duty_table keeps it, asked with one bisect (DutyStarts.first_in).
    if officer.schedule is None:
        return -1
    entry = book._duty.get(badge)
    duty = entry[1] if entry is not None and entry[0] is officer else book.duty_table(officer)
    high = shift.end_ts
    if duty_rest:
        gap = book.rest_secs[officer.agency]
        if gap > 0:
            high += gap
    return -1 if duty.first_in(shift.start_ts - duty.length, high) is None else 4


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
    prev, nxt = book.neighbours(badge, s, e, key)
    if prev is not None or nxt is not None:
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
    if daily is not None:
        table, own = book.day_secs, held.days if held is not None else None
        for k, secs in shape.days:
            if table.get((badge, k), 0) - (_own(own, k) if own else 0) + secs > daily:
                return 7
    if weekly is not None:
        table, own = book.week_secs, held.weeks if held is not None else None
        for k, secs in shape.weeks:
            if table.get((badge, k), 0) - (_own(own, k) if own else 0) + secs > weekly:
                return 8
    if monthly is not None:
        table, own = book.month_secs, held.months if held is not None else None
        for k, secs in shape.months:
            if table.get((badge, k), 0) - (_own(own, k) if own else 0) + secs > monthly:
                return 9
    return -1
