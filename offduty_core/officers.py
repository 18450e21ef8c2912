"""Officers, their on-duty schedules, and rosters generated for simulations.

An :class:`Officer` is a frozen value: badge, home agency, rank, seniority date,
qualifications, approval and active status, an on-duty :class:`DutySchedule` and off-duty
history.  A :class:`Roster` is a tuple of officers indexed by badge and by
(agency, rank, qualification), so a distribution method can find the officers who may
take a shift without looking at every officer.

Rosters are read from and written to CSV files by :mod:`offduty_core.roster_csv`, whose
docstring lists the columns.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache
from typing import Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

import attrs

from .errors import InputError

UTC = timezone.utc


class Rank(str, Enum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"  # sergeant and above


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def badge_key(badge: str) -> tuple:
    """Sort key for badges: numbers numerically (``9`` before ``10``), then text."""
    # isdigit alone is true of '²', which int() refuses: only ASCII digits are numbers here.
    return (0, int(badge), "") if badge.isascii() and badge.isdigit() else (1, 0, badge)


def _hours(value: object, field: str) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(field, value, "give hours as a number such as 8 or 8.5") from None
    if not result.is_finite() or result <= 0 or result > 24:
        raise InputError(field, value, "hours must be more than 0 and at most 24")
    return result


# --- on-duty schedules ------------------------------------------------------------------


@lru_cache(maxsize=262144)
def _wall_epoch(tz_name: str, ordinal: int, hour: int, minute: int) -> int:
    """Epoch seconds of local wall time ``hour:minute`` on day ``ordinal`` in ``tz_name``."""
    return int(datetime.combine(date.fromordinal(ordinal), time(hour, minute), tzinfo=ZoneInfo(tz_name)).timestamp())


def _duty_interval(day: date, start: time, length: timedelta, tz: ZoneInfo) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, tzinfo=tz)
    end = (begin.astimezone(UTC) + length).astimezone(tz)
    return begin, end


class _Schedule:
    """Shared behaviour: subclasses say which days are worked (:meth:`works_on`)."""

    shift_start: time
    shift_hours: Decimal

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=int(self.shift_hours * 3600))

    def works_on(self, day: date) -> bool:
        return self.works_on_ordinal(day.toordinal())

    def works_on_ordinal(self, ordinal: int) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def duty_epochs(self, first: int, last: int, tz_name: str) -> list[tuple[int, int]]:
        """The on-duty intervals (epoch seconds) of shifts starting on local days with
        ordinals ``first`` .. ``last``: arithmetic on day numbers, and one cached lookup of
        each day's local start instant, so eligibility checks build no datetimes."""
        seconds = int(self.shift_hours * 3600)
        return [(a, a + seconds) for a in self.duty_starts(first, last, tz_name)]

    def duty_start(self, ordinal: int, tz_name: str) -> int | None:
        """The epoch start of the on-duty shift starting on local day ``ordinal`` (None: a
        day off): what :meth:`duty_starts` gives for that one day."""
        if not self.works_on_ordinal(ordinal):
            return None
        start = self.shift_start
        return _wall_epoch(tz_name, ordinal, start.hour, start.minute)

    def duty_starts(self, first: int, last: int, tz_name: str) -> list[int]:
        """The epoch starts of the on-duty shifts starting on local days with ordinals
        ``first`` .. ``last``, in order (:meth:`duty_start` for each of a run of days: the
        book works out a schedule's starts weeks at a time)."""
        start = self.shift_start
        hour, minute, works = start.hour, start.minute, self.works_on_ordinal
        return [_wall_epoch(tz_name, d, hour, minute) for d in range(first, last + 1) if works(d)]

    def on_duty(self, first: date, last: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """The on-duty intervals of shifts that start on ``first`` .. ``last`` (inclusive)."""
        out = []
        day = first
        length = self.length
        while day <= last:
            if self.works_on(day):
                out.append(_duty_interval(day, self.shift_start, length, tz))
            day += timedelta(days=1)
        return out


PITMAN = (True, True, False, False, True, True, True, False, False, True, True, False, False, False)
CYCLES: dict[str, tuple[tuple[bool, ...], int]] = {
    "5x8": ((True,) * 5 + (False,) * 2, 8),
    "4x10": ((True,) * 4 + (False,) * 3, 10),
    "pitman": (PITMAN, 12),
}


@attrs.frozen(kw_only=True)
class CycleSchedule(_Schedule):
    """A repeating cycle of on and off days from ``anchor`` (the cycle's first day, on duty):
    ``5x8``, ``4x10`` and the 12-hour ``pitman`` (2-2-3)."""

    pattern: str = attrs.field(validator=attrs.validators.in_(tuple(CYCLES)))
    shift_start: time
    anchor: date
    shift_hours: Decimal = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.shift_hours is None:
            object.__setattr__(self, "shift_hours", Decimal(CYCLES[self.pattern][1]))
        else:
            object.__setattr__(self, "shift_hours", _hours(self.shift_hours, "shift_hours"))

    @property
    def cycle(self) -> tuple[bool, ...]:
        return CYCLES[self.pattern][0]

    def works_on_ordinal(self, ordinal: int) -> bool:
        cycle = CYCLES[self.pattern][0]
        return cycle[(ordinal - self.anchor.toordinal()) % len(cycle)]

    def describe(self) -> str:
        return f"{self.pattern} from {self.anchor} at {self.shift_start:%H:%M}"


@attrs.frozen(kw_only=True)
class WeeklySchedule(_Schedule):
    """On duty every day except fixed weekdays off (0 = Monday)."""

    days_off: frozenset[int] = attrs.field(converter=frozenset)
    shift_start: time
    shift_hours: Decimal = attrs.field(default=Decimal(8), converter=lambda v: _hours(v, "shift_hours"))

    @days_off.validator
    def _weekdays(self, attribute: attrs.Attribute, value: frozenset[int]) -> None:
        if not value or not all(isinstance(d, int) and 0 <= d <= 6 for d in value) or len(value) == 7:
            raise InputError("days_off", sorted(value), "give 1 to 6 weekdays, 0 (Monday) to 6 (Sunday)")

    def works_on_ordinal(self, ordinal: int) -> bool:
        return (ordinal - 1) % 7 not in self.days_off  # ordinal 1 is a Monday

    def describe(self) -> str:
        off = "+".join(WEEKDAYS[d] for d in sorted(self.days_off))
        return f"days off {off}, on at {self.shift_start:%H:%M}"


@attrs.frozen(kw_only=True)
class DateSchedule(_Schedule):
    """On duty on explicit dates only."""

    dates: frozenset[date] = attrs.field(converter=frozenset)
    shift_start: time
    shift_hours: Decimal = attrs.field(default=Decimal(8), converter=lambda v: _hours(v, "shift_hours"))

    def works_on_ordinal(self, ordinal: int) -> bool:
        return date.fromordinal(ordinal) in self.dates

    def describe(self) -> str:
        return f"{len(self.dates)} listed dates at {self.shift_start:%H:%M}"


DutySchedule = CycleSchedule | WeeklySchedule | DateSchedule


# --- officers ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OffDutyRecord:
    """Past off-duty work (before the roster was loaded): hours on a local date."""

    day: date
    hours: Decimal = attrs.field(converter=lambda v: _hours(v, "history.hours"))


def _badge(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip() or "," in value:
        raise InputError("badge", value, "must be a non-empty id without spaces around it or commas")


def _quals(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    out = frozenset(q.strip().lower() for q in value if q.strip())
    for q in out:
        if not re.fullmatch(r"[a-z][a-z0-9_\-]*", q):
            raise InputError("qualifications", q, "use lower-case names such as 'sso'")
    return out


@attrs.frozen(kw_only=True)
class Officer:
    """A sworn officer as an agency's off-duty program sees them."""

    badge: str = attrs.field(validator=_badge)
    agency: str
    rank: Rank = attrs.field(default=Rank.OFFICER, converter=Rank)
    seniority_date: date
    qualifications: frozenset[str] = attrs.field(factory=frozenset, converter=_quals)
    approved: bool = True
    active: bool = True
    schedule: DutySchedule | None = None
    history: tuple[OffDutyRecord, ...] = attrs.field(default=(), converter=tuple)
    name: str = ""

    @property
    def seniority(self) -> tuple:
        """Sort key: most senior first (earliest seniority date, then badge number)."""
        return (self.seniority_date, badge_key(self.badge))

    @property
    def label(self) -> str:
        return f"badge {self.badge}"


class Roster(Sequence[Officer]):
    """An immutable tuple of officers indexed by badge and by (agency, rank, qualification).

    :meth:`pool` returns, in seniority order, the officers of one agency with a rank and a
    qualification: built once per key (a dict lookup after that), so a method never scans
    the whole roster to find who may take a shift.
    """

    def __init__(self, officers: Iterable[Officer]):
        self.officers: tuple[Officer, ...] = tuple(officers)
        self.by_badge: dict[str, Officer] = {}
        for officer in self.officers:
            if officer.badge in self.by_badge:
                raise InputError("badge", officer.badge, "badges must be unique in a roster")
            self.by_badge[officer.badge] = officer
        self._pools: dict[tuple, tuple[Officer, ...]] = {}
        self._by_agency: dict[str, list[Officer]] = {}
        for officer in sorted(self.officers, key=lambda o: o.seniority):
            self._by_agency.setdefault(officer.agency, []).append(officer)

    def __getitem__(self, index):  # type: ignore[override]
        return self.officers[index]

    def __len__(self) -> int:
        return len(self.officers)

    def __iter__(self) -> Iterator[Officer]:
        return iter(self.officers)

    def __contains__(self, badge: object) -> bool:
        return badge in self.by_badge

    def get(self, badge: str) -> Officer:
        try:
            return self.by_badge[badge]
        except KeyError:
            raise InputError("badge", badge, "is not on the roster") from None

    @property
    def agencies(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_agency))

    def pool(self, agency: str, ranks: frozenset[Rank] | None = None,
             qualifications: frozenset[str] = frozenset()) -> tuple[Officer, ...]:
        """Approved, active officers of ``agency`` holding every one of ``qualifications``
        with a rank in ``ranks`` (None: any), most senior first."""
        key = (agency, ranks, qualifications)
        pool = self._pools.get(key)
        if pool is None:
            pool = tuple(o for o in self._by_agency.get(agency, ())
                         if o.approved and o.active and (ranks is None or o.rank in ranks)
                         and qualifications <= o.qualifications)
            self._pools[key] = pool
        return pool

    def __repr__(self) -> str:
        return f"Roster({len(self.officers)} officers, agencies {', '.join(self.agencies)})"


# --- generated rosters ------------------------------------------------------------------

#: (pattern, start times) drawn by :func:`generate_roster`, with their weights.
GENERATED_SCHEDULES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("5x8", ("07:00", "15:00", "23:00"), 0.35),
    ("4x10", ("06:00", "14:00", "20:00"), 0.30),
    ("pitman", ("06:00", "18:00"), 0.25),
    ("days_off", ("08:00",), 0.05),
    ("none", (), 0.05),
)


def generate_roster(n: int, seed: int = 0, *, agencies: Sequence[str] | Mapping[str, float] = ("test-agency",),
                    start: date = date(2027, 1, 4), supervisor_share: float = 0.12, sso_share: float = 0.10,
                    unapproved_share: float = 0.03, inactive_share: float = 0.02,
                    seniority_years: int = 25, badge_start: int = 100) -> Roster:
    """``n`` plausible officers for simulations, the same for the same ``seed``.

    Draws from ``numpy.random.SeedSequence(seed)`` (one stream per officer attribute), so
    changing one share does not reshuffle the others.  ``agencies`` is a list (officers
    spread evenly) or ``{agency: weight}``.  Schedules: 5x8, 4x10, Pitman, fixed days off
    or none (:data:`GENERATED_SCHEDULES`), anchored in the 14 days from ``start``.
    Badges are numbers from ``badge_start``.
    """
    import numpy as np

    if n < 0:
        raise InputError("n", n, "must be >= 0")
    names = list(agencies) if not isinstance(agencies, Mapping) else list(agencies.keys())
    if not names:
        raise InputError("agencies", agencies, "give at least one agency")
    weights = np.array([float(agencies[a]) for a in names] if isinstance(agencies, Mapping) else [1.0] * len(names))
    weights = weights / weights.sum()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    agency_draw = streams[0].choice(len(names), size=n, p=weights)
    rank_draw = streams[1].random(n)
    seniority_draw = streams[2].integers(0, seniority_years * 365, size=n)
    qual_draw = streams[3].random(n)
    status_draw = streams[4].random((n, 2))
    pattern_weights = np.array([w for _, _, w in GENERATED_SCHEDULES])
    pattern_draw = streams[5].choice(len(GENERATED_SCHEDULES), size=n, p=pattern_weights / pattern_weights.sum())
    detail_draw = streams[6].integers(0, 1 << 30, size=(n, 3))
    officers = []
    for i in range(n):
        pattern, starts, _ = GENERATED_SCHEDULES[int(pattern_draw[i])]
        schedule: DutySchedule | None
        if pattern == "none":
            schedule = None
        else:
            shift_start = time.fromisoformat(starts[int(detail_draw[i, 0]) % len(starts)])  # "07:00"
            if pattern == "days_off":
                first = int(detail_draw[i, 1]) % 7
                schedule = WeeklySchedule(days_off={first, (first + 1) % 7}, shift_start=shift_start)
            else:
                schedule = CycleSchedule(pattern=pattern, shift_start=shift_start,
                                         anchor=start + timedelta(days=int(detail_draw[i, 1]) % 14))
        quals = ["sso"] if qual_draw[i] < sso_share else []
        officers.append(Officer(
            badge=str(badge_start + i),
            agency=names[int(agency_draw[i])],
            rank=Rank.SUPERVISOR if rank_draw[i] < supervisor_share else Rank.OFFICER,
            seniority_date=start - timedelta(days=int(seniority_draw[i]) + 1),
            qualifications=quals,
            approved=bool(status_draw[i, 0] >= unapproved_share),
            active=bool(status_draw[i, 1] >= inactive_share),
            schedule=schedule,
        ))
    return Roster(officers)
