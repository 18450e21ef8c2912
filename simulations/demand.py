"""A year of requests, and the changes vendors will make to them, drawn from a scenario.

Deterministic: each source of randomness has its own stream (:data:`STREAMS`, children of one
``SeedSequence``), so adding a standing post does not move the one-off jobs, and the same seed
gives the same year.  Demand responds to price: one-off jobs and special events scale by
``(price / reference) ** elasticity`` (standing posts and school shifts are contracts and do
not).

Times in the simulation are float hours since the first simulated day's local midnight
(:class:`Clock`); every request also carries its core :class:`~offduty_core.model.Request`
with aware datetimes, which is what admission and billing see.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import numpy as np

from offduty_core.model import Request
from offduty_core.rules import AgencyRules

from .memory import paused_gc
from .scenario import MAX_DAYS, Scenario

UTC = timezone.utc
MIDNIGHT = time(0)
ONE_HOUR = timedelta(hours=1)
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_from_seconds = datetime.fromtimestamp  # exact for integer seconds
_new = tuple.__new__

#: Named random streams, in spawn order (append only: reordering changes every result).
STREAMS = ("oneoff", "standing", "school", "events", "changes", "looks", "acceptance", "response",
           "drops", "noshow", "release", "payment", "roster", "methods", "moves", "participation")


def streams(seed: np.random.SeedSequence | int) -> dict[str, np.random.Generator]:
    """One generator per source of randomness, from ``SeedSequence(seed).spawn``."""
    if isinstance(seed, np.random.SeedSequence):
        # A fresh copy: ``spawn`` advances the sequence it is called on, so spawning from the
        # caller's object would give a different year the second time it is used.
        ss = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    else:
        ss = np.random.SeedSequence(seed)
    return {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)))}


class Clock:
    """Float simulation hours <-> aware datetimes, anchored at the first day's local midnight."""

    def __init__(self, first_day: date, tz: ZoneInfo):
        self.tz = tz
        self.epoch = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
        #: :attr:`epoch` in whole seconds since 1970 (a local midnight is a whole second).
        self.epoch_seconds = (self.epoch - _UNIX) // _SECOND

    def hours(self, when: datetime) -> float:
        return (when - self.epoch).total_seconds() / 3600.0

    def at(self, hours: float) -> datetime:
        """The aware datetime (whole seconds, in the agency zone) ``hours`` after the epoch."""
        return (self.epoch + timedelta(seconds=round(hours * 3600))).astimezone(self.tz)

    def utc(self, hours: float) -> datetime:
        """The same instant as :meth:`at`, in UTC (the job board keeps instants in UTC): made
        from integer seconds in one call, as every input the simulator hands the board is."""
        return _from_seconds(self.epoch_seconds + round(hours * 3600), UTC)

    def local(self, day: date, minutes: int) -> datetime:
        """Local wall time ``minutes`` after midnight of ``day`` (a time skipped by a DST change
        moves forward an hour)."""
        # Adding to an aware datetime moves its wall clock (no zone conversion), and aware
        # datetimes of one zone compare by wall clock: the time was skipped if the round trip
        # through UTC lands on another one.
        aware = datetime.combine(day, MIDNIGHT, self.tz) + timedelta(minutes=int(minutes))
        if aware.astimezone(UTC).astimezone(self.tz) != aware:
            aware += ONE_HOUR
        return aware


class Job(NamedTuple):
    """One generated request with its planned vendor changes (immutable)."""

    id: str
    source: str  # oneoff, standing, school, event
    request: Request
    received: float  # simulation hours
    start: float
    end: float
    local_hour: float  # local start time of day, hours
    weekday: int  # local start weekday, 0 = Monday
    month: int
    lead_hours: float
    cancel_at: float | None
    cancel_channel: str
    cancel_quotes_id: bool
    reduce_at: float | None
    change_at: float | None
    change_by_hours: float
    day: date  # local start date


def _norm(profile) -> np.ndarray:
    arr = np.asarray(profile, dtype=float)
    return arr / arr.mean()


def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def price_ratio(scenario_rules: AgencyRules, published: AgencyRules) -> float:
    """The scenario's regular total over the published one (what elasticity responds to)."""
    new = scenario_rules.rates.get(scenario_rules.rates.roles["officer"]).total
    old = published.rates.get(published.rates.roles["officer"]).total
    return float(new / old)


def school_days(scenario: Scenario) -> list[date]:
    s = scenario.demand.school
    first, last = scenario.agency.first_day, scenario.agency.last_day
    # A plain set of the closed dates: a lookup in the package's calendar object converts and
    # checks its key first, several times the cost of a set lookup, once per simulated day.
    closed = set(holidays_lib.country_holidays("US", years=range(first.year, last.year + 1)))
    days = []
    d = first
    while d <= last:
        if d.weekday() < 5 and d not in closed and any(a <= d <= b for a, b in s.terms) \
                and not any(a <= d <= b for a, b in s.breaks):
            days.append(d)
        d += timedelta(days=1)
    return days


def generate(scenario: Scenario, rules: AgencyRules, rng: dict[str, np.random.Generator],
             price: float = 1.0) -> list[Job]:
    """Every request whose start falls in the scenario's days, ordered by receipt."""
    # Tens of thousands of datetimes, requests and jobs, none of them garbage: the collector's
    # passes over them (and over the holidays package's first import) would find nothing.
    with paused_gc():
        return list(queue(scenario, rules, rng, price))


def queue(scenario: Scenario, rules: AgencyRules, rng: dict[str, np.random.Generator],
          price: float = 1.0) -> "Jobs":
    """The same jobs as :func:`generate`, made one at a time as they are taken (what a year's
    run uses: see :class:`Jobs`)."""
    with paused_gc():
        return _generate(scenario, rules, rng, price)


def _generate(scenario: Scenario, rules: AgencyRules, rng: dict[str, np.random.Generator],
              price: float) -> "Jobs":
    clock = Clock(scenario.agency.first_day, rules.info.tz)
    demand = scenario.demand
    first = scenario.agency.first_day
    ndays = scenario.agency.days
    days = [first + timedelta(days=i) for i in range(ndays)]
    month_f = _norm(demand.month)
    weekday_f = _norm(demand.weekday)
    elastic = float(price) ** demand.elasticity
    raw: list[tuple] = []  # (id, source, vendor, category, start dt, hours, lead hours, officers, vehicle)

    # One-off jobs by category: Poisson counts per day with seasonality and price response.
    g = rng["oneoff"]
    months = np.array([d.month - 1 for d in days], dtype=int)
    weekdays = np.array([d.weekday() for d in days], dtype=int)
    day_factor = month_f[months] * weekday_f[weekdays]
    for cat in sorted(demand.categories):
        c = demand.categories[cat]
        factor = day_factor
        if c.month is not None or c.weekday is not None:  # the category's own seasonality
            factor = (_norm(c.month)[months] if c.month is not None else month_f[months]) \
                * (_norm(c.weekday)[weekdays] if c.weekday is not None else weekday_f[weekdays])
        counts = g.poisson(c.requests_per_week / 7.0 * factor * elastic)
        n = int(counts.sum())
        if n == 0:
            continue
        hour_p = np.asarray(c.hour or demand.hour, dtype=float)
        hour_p = hour_p / hour_p.sum()
        hours = g.choice(24, size=n, p=hour_p)
        step = demand.start_minute_step
        minutes = g.integers(0, 60 // step, size=n) * step
        durations = np.maximum(1.0, np.round(c.duration_hours.draw(g, n) * 60)) / 60  # whole minutes
        officers = np.maximum(1, np.round(c.officers.draw(g, n))).astype(int)
        leads = np.round(np.minimum(c.lead_time_days.draw(g, n), MAX_DAYS) * 24 * 60)  # minutes (at most 10 years)
        vehicles = g.random(n) < c.vehicle_share
        vendors = g.integers(0, max(1, c.vendors), size=n)
        # The k-th job's values as Python numbers, converted a column at a time (reading numpy
        # arrays item by item makes a numpy scalar per read, and formats it slowly).
        columns = (np.repeat(np.arange(ndays), counts), hours * 60 + minutes, durations, leads, officers,
                   vehicles, vendors)
        for k, (di, minute, duration, lead, n_officers, vehicle, vendor) in enumerate(
                zip(*(column.tolist() for column in columns))):
            raw.append((f"{cat}-{k:06d}", "oneoff", f"{cat}-vendor-{vendor:03d}", cat,
                        clock.local(days[di], minute), duration, lead / 60.0, n_officers, vehicle))

    # Standing weekly posts.
    for i, post in enumerate(demand.standing):
        for d in days:
            if d.weekday() in post.weekdays:
                start = clock.local(d, _hm(post.start))
                raw.append((f"STD{i:02d}-{d:%Y%m%d}", "standing", post.vendor, post.category, start, post.hours,
                            post.lead_days * 24, post.officers, post.vehicle))

    # School-day SSO shifts.
    school = demand.school
    if school.schools:
        for d in school_days(scenario):
            start = clock.local(d, _hm(school.start))
            for s in range(school.schools):
                raw.append((f"SSO{s:02d}-{d:%Y%m%d}", "school", f"school-{s:02d}", school.category, start,
                            school.hours, school.lead_days * 24, school.officers_per_school, False))

    # Special events: several days, many officers.
    ev = demand.events
    g = rng["events"]
    n_events = int(g.poisson(ev.per_year * ndays / 365.0 * elastic)) if ev.per_year else 0
    for e in range(n_events):
        first_i = int(g.integers(0, ndays))
        span = max(1, int(round(float(ev.days.draw(g)))))
        officers = max(1, int(round(float(ev.officers.draw(g)))))
        hours = max(1.0, round(float(ev.hours.draw(g)) * 2) / 2)
        start_h = float(ev.start_hour.draw(g))
        lead = min(float(ev.lead_time_days.draw(g)), MAX_DAYS) * 24
        vehicle = bool(g.random() < ev.vehicle_share)
        vendor = f"event-organiser-{int(g.integers(0, max(1, ev.vendors))):02d}"
        first_start = clock.local(days[first_i], int(start_h * 60))
        for j in range(span):
            if first_i + j >= ndays:
                break
            start = clock.local(days[first_i + j], int(start_h * 60))
            lead_j = lead + (start - first_start).total_seconds() / 3600  # all days requested together
            raw.append((f"EVT{e:03d}-{j}", "event", vendor, ev.category, start, hours, lead_j, officers, vehicle))

    return Jobs(raw, scenario, rules, clock, rng["changes"])


#: How many jobs' random draws :class:`Jobs` converts to Python floats at a time.
_BLOCK = 256


class Jobs:
    """The year's jobs in order of receipt, each made when it is taken: a queue (an iterator
    with a length) that a simulated year reads once, so it holds only the requests that have
    arrived and not yet settled rather than all of them from the start (a large year's jobs
    and their requests were about 70 MB).  The random numbers for the vendors' changes are
    drawn up front, in one block, so the jobs are the same whether they are made one at a
    time or all at once (:func:`generate` makes the list)."""

    def __init__(self, raw: list[tuple], scenario: Scenario, rules: AgencyRules, clock: Clock,
                 g: np.random.Generator):
        self._changes = changes = scenario.changes
        self._window = rules.cancellation.window.total_seconds() / 3600.0
        self._clock = clock
        raw.sort(key=lambda r: (r[4] - timedelta(hours=r[6]), r[0]))
        n = len(raw)
        self._raw: list[tuple | None] = raw
        self._u = g.random((n, 8))
        self._shift_by = np.asarray(changes.start_change_hours.draw(g, n) if n else (), dtype=float)
        self._next = 0
        # The draws of the next few jobs as Python floats, converted a block at a time (a
        # numpy row or scalar read one by one costs more than the whole block's ``tolist``).
        self._block: list = []
        self._block_start = 0
        #: A request's read-only positions mapping by its officers (requests of one shape share one).
        self._positions: dict[int, object] = {}
        #: When the first request arrives (hours; the order is by receipt to the hour's
        #: fraction, so this is the least of all, not merely the first's).
        self.first_received = ((min(self._seconds(r)[1] for r in raw) - clock.epoch_seconds) / 3600.0
                               if raw else 0.0)

    def __len__(self) -> int:
        return len(self._raw) - self._next

    def __iter__(self) -> "Jobs":
        return self

    def __next__(self) -> Job:
        i = self._next
        if i >= len(self._raw):
            raise StopIteration
        r, self._raw[i] = self._raw[i], None  # made once: the queue keeps no job it handed out
        self._next = i + 1
        k = i - self._block_start
        if k >= len(self._block):
            end = i + _BLOCK
            self._block = list(zip(self._u[i:end].tolist(), self._shift_by[i:end].tolist()))
            self._block_start, k = i, 0
        ui, shift_by = self._block[k]
        return self._make(r, ui, shift_by)

    @staticmethod
    def _seconds(r: tuple) -> tuple[int, int]:
        """A raw request's start and receipt in whole seconds since 1970: its start is a whole
        local minute (exact as a float timestamp) and its notice whole minutes."""
        start_s = int(r[4].timestamp())
        return start_s, start_s - 60 * round(r[6] * 60)

    def _make(self, r: tuple, ui: list[float], shift_by: float) -> Job:
        rid, source, vendor, cat, start_dt, hours, _lead_h, officers, vehicle = r
        changes, window, clock = self._changes, self._window, self._clock
        # The request's instants are made in UTC from whole seconds, which is how Request
        # stores them (it converts any other zone); the clock's hours are counted from a
        # whole-second UTC epoch, so both hours below are exact, as from the datetimes.
        start_s, received_s = self._seconds(r)
        start_utc = _from_seconds(start_s, UTC)
        end_utc = start_utc + timedelta(hours=hours)
        positions = self._positions.get(officers)
        request = Request(id=rid, vendor=vendor, category=cat, received_at=_from_seconds(received_s, UTC),
                          start=start_utc, end=end_utc,
                          positions={"officer": officers} if positions is None else positions, vehicle=vehicle)
        if positions is None:
            self._positions[officers] = request.positions
        received = (received_s - clock.epoch_seconds) / 3600.0
        start = (start_s - clock.epoch_seconds) / 3600.0
        lead = start - received
        cancel_at = None
        if ui[0] < changes.cancel_rate and lead > 0:
            if window > 0 and ui[1] < changes.cancel_inside_window:
                span = min(window, lead)
                cancel_at = start - span * ui[2]
            elif window > 0 and lead > window:
                cancel_at = received + (lead - window) * ui[2]
            else:
                cancel_at = received + lead * ui[2]
            cancel_at = min(max(cancel_at, received), start - 1 / 60)
            cancel_at = round(cancel_at * 60) / 60
        not_written = bool(ui[3] < changes.cancel_not_written)
        reduce_at = None
        if officers >= 2 and ui[4] < changes.reduce_rate and lead > 0:
            reduce_at = round((received + lead * ui[5]) * 60) / 60
        change_at = None
        by = 0.0
        if ui[6] < changes.start_change_rate and lead > 2:
            change_at = round((received + (lead - 1) * ui[7]) * 60) / 60
            by = shift_by * (1 if ui[7] * 1000 % 1 < 0.5 else -1)
        # In field order, made as a plain tuple: naming seventeen fields costs a named tuple's
        # constructor several times the tuple (a job is made per request of the year).
        return _new(Job, (rid, source, request, received, start, clock.hours(end_utc),
                          start_dt.hour + start_dt.minute / 60, start_dt.weekday(), start_dt.month, lead,
                          cancel_at, "phone" if not_written else "email", not not_written, reduce_at,
                          change_at, by, start_dt.date()))
