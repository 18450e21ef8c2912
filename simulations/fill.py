"""The adapter between the year model and the core's job lifecycle.

This module is the **only** place the simulator talks to issue 3's layer: rosters
(:mod:`offduty_core.officers`), the officer book and eligibility
(:mod:`offduty_core.eligibility`), the distribution methods (``plugins/distribution``
through :mod:`offduty_core.distribution`) and the time-agnostic job state machine
(:class:`offduty_core.lifecycle.JobBoard`).  The model decides *when* officers look at a
posting, answer an offer, drop a shift or clock out, and *whether* they accept (the
behavioural model); the board decides, by the agency's real rules and method, *who may* take a
shift, *who gets it*, what every change costs, and bills each job through
:func:`offduty_core.billing.bill` when it settles.

Every call takes the simulation time in hours and hands the board aware datetimes; every call
returns the board's new records (immutable), which the model reacts to.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from offduty_core import default_registry
from offduty_core import lifecycle as lc
from offduty_core.days import epoch
from offduty_core.eligibility import OfficerBook
from offduty_core.officers import CycleSchedule, Officer, Rank, Roster
from offduty_core.roster_csv import load_roster
from offduty_core.rules import AgencyRules
from offduty_core.spec import HourCaps

from .scenario import Scenario, ScenarioError, backup_without_officers

#: Which engine fills shifts (reported in summary.json).
ENGINE = "offduty_core.lifecycle.JobBoard"

#: Start times a generated schedule may use (local), by pattern.
SCHEDULE_STARTS = {"5x8": ("07:00", "15:00", "23:00"), "4x10": ("06:00", "14:00", "20:00"),
                   "pitman": ("06:00", "18:00")}
SSO = "sso"
CAP_RULES = frozenset({"daily-cap", "weekly-cap", "monthly-cap"})


def build_roster(scenario: Scenario, rules: AgencyRules, rng: np.random.Generator) -> Roster:
    """The scenario's roster: its CSV if it names one, else ``officers.count`` generated
    officers of the agency with the scenario's rank, qualification and schedule mix, then
    ``officers.backup_agencies``' generated officers (same mix; badges ``AGENCY-1``, ... so they
    never collide with the agency's numeric ones), drawn after the agency's own so a scenario
    without back-up officers gets the same roster.  Refuses a category's back-up agency with no
    officer on the roster (:func:`~offduty_simulations.scenario.backup_without_officers`)."""
    o = scenario.officers
    if o.roster:
        path = Path(o.roster)
        if not path.is_absolute():
            path = Path(scenario.base_dir or ".") / path
        if not path.is_file():
            raise ScenarioError("officers.roster", o.roster, f"no such file ({path}); give a roster CSV's path, "
                                                             "relative to the scenario file")
        roster = load_roster(str(path))
        problem = backup_without_officers(scenario, set(roster.agencies))
        if problem is not None:
            raise problem
        return roster
    first = scenario.agency.first_day
    officers = _generate(o, o.count, rules.name, lambda i: str(100 + i), first, rng)
    for agency in sorted(o.backup_agencies):
        officers += _generate(o, o.backup_agencies[agency], agency, lambda i, a=agency: f"{a}-{i + 1}", first, rng)
    return Roster(officers)


def _generate(o, n: int, agency: str, badge, first, rng: np.random.Generator) -> list[Officer]:
    """``n`` officers of ``agency`` with ``o``'s (``officers``) mix; ``badge(i)`` names the i-th."""
    names = sorted(o.schedules)
    weights = np.array([o.schedules[k] for k in names], dtype=float)
    pattern = rng.choice(len(names), size=n, p=weights / weights.sum())
    rank = rng.random(n)
    qual = rng.random(n)
    seniority = rng.integers(0, 25 * 365, size=n)
    detail = rng.integers(0, 1 << 30, size=(n, 2))
    officers = []
    for i in range(n):
        kind = names[int(pattern[i])]
        schedule = None
        if kind != "none":
            starts = SCHEDULE_STARTS[kind]
            hh, mm = starts[int(detail[i, 0]) % len(starts)].split(":")
            schedule = CycleSchedule(pattern=kind, shift_start=time(int(hh), int(mm)),
                                     anchor=first - timedelta(days=int(detail[i, 1]) % 14))
        officers.append(Officer(
            badge=badge(i), agency=agency,
            rank=Rank.SUPERVISOR if rank[i] < o.supervisor_share else Rank.OFFICER,
            seniority_date=first - timedelta(days=int(seniority[i]) + 1),
            qualifications=[SSO] if qual[i] < o.sso_share else [], schedule=schedule))
    return officers


def scenario_caps(scenario: Scenario, rules: AgencyRules) -> HourCaps:
    """The agency's caps with the scenario's overrides (``[fees]``; 0 removes a cap)."""
    f = scenario.fees
    caps = rules.caps
    if f.no_caps:
        return HourCaps(daily=None, weekly=None, monthly=None, min_rest=timedelta(0), week_start=caps.week_start)
    changes: dict[str, Any] = {}
    for name in ("daily", "weekly", "monthly"):
        value = getattr(f, f"{name}_cap")
        if value is not None:
            changes[name] = None if value == 0 else Decimal(str(value))
    if f.min_rest_hours is not None:
        changes["min_rest"] = timedelta(hours=f.min_rest_hours)
    return attrs.evolve(caps, **changes) if changes else caps


class ScenarioRegistry:
    """The installed registry, with the simulated agency's rules replaced by the scenario's
    (its ``[fees]`` applied); everything else (plugins, methods, other agencies) as installed."""

    def __init__(self, registry: Any, rules: AgencyRules):
        self._registry = registry
        self._rules = {rules.name: rules}

    def rules(self, name: str) -> AgencyRules:
        found = self._rules.get(name)
        return found if found is not None else self._registry.rules(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)


class FillAdapter:
    """The job board of one replication, and the few questions the model asks about it."""

    def __init__(self, scenario: Scenario, rules: AgencyRules, roster: Roster, clock, registry: Any = None,
                 schedule: Any = None):
        """``registry``: where the agency, its methods and any back-up agencies come from
        (default: the installed plugins, :func:`offduty_core.default_registry`).
        ``schedule``: who keeps the board's wake-ups (the board's ``schedule``; default: the
        board itself, read with :meth:`next_wakeup` and run with :meth:`advance`, or on a
        SimPy environment with :meth:`drive`)."""
        registry = ScenarioRegistry(default_registry() if registry is None else registry, rules)
        agencies = set(roster.agencies) | {rules.name}
        zones = {a: registry.rules(a).info.tz for a in agencies}
        # Caps are the officer's home agency's: the scenario's cap overrides are the simulated
        # agency's policy; back-up agencies keep their own (``no_caps``, for theory checks, lifts all).
        self.caps = {a: scenario_caps(scenario, registry.rules(a)) if a == rules.name or scenario.fees.no_caps
                     else registry.rules(a).caps for a in agencies}
        book = OfficerBook(roster, zones, self.caps)
        overrides = scenario.distribution.overrides()
        self.board = lc.JobBoard(registry, roster, distribution={rules.name: overrides} if overrides else None,
                                 book=book, schedule=schedule, keep_settled=False)
        self.book = book
        self.roster = roster
        self.clock = clock
        self.agency = rules.name
        self.week_start = self.caps[rules.name].week_start
        self.days = rules.days  # the agency's local days (integer instants -> week keys)
        self.status = ENGINE
        self._last_hours: float | None = None
        self._last_at: datetime | None = None
        # The look planner and the answers ask these some 100,000 times a year, so they are the
        # board's own methods, a call fewer each.  ``objection(posting, officer)``: None if
        # ``officer`` may take ``posting`` now, else the rule that says no (unworded: the model
        # only needs to know which).  ``fixed_objection(posting, officer)``: True if refused for
        # a reason that stands while the posting keeps its stage and shift (on duty, barred, ...;
        # never a cap): :meth:`JobBoard.fixed_objection
        # <offduty_core.lifecycle.JobBoard.fixed_objection>`.
        self.objection = self.board.objection
        self.fixed_objection = self.board.fixed_objection

    def drive(self, env, react) -> None:
        """Run the board's wake-ups on ``env`` (a SimPy environment) and hand their records to
        ``react``.  The board keeps its wake-ups (its ``wake``); SimPy holds one event, at the
        earliest, set earlier when an earlier one is set (the later event then does nothing),
        so a wake-up made stale meanwhile (most unfilled alerts and start checks: the shift
        was filled) costs no SimPy event."""
        due = [math.inf, None]  # when the one event is due (hours), and that event

        def arm(at: float) -> None:
            delay = at - env.now
            event = env.timeout(delay if delay > 0.0 else 0.0)
            event.callbacks.append(fire)
            due[:] = at, event

        def fire(event) -> None:
            if event is not due[1]:
                return  # an earlier wake-up was set after this one
            due[:] = math.inf, None
            react(self.advance(env.now))
            at = self.next_wakeup()  # drops the wake-ups made stale meanwhile
            if at is not None and at < due[0]:
                arm(at)

        def wake(timer) -> None:
            at = self.hours_of(timer)
            if at < due[0]:
                arm(at)

        self.board.set_wake(wake)

    # --- inputs (each returns the board's new records) ---------------------------------------

    def _at(self, now: float) -> datetime:
        """An input's instant (inputs keep instants in UTC, so it is made there); the last one
        is kept, since a wake-up and the answers it sets off often share an instant."""
        if now == self._last_hours:
            return self._last_at
        at = self._last_at = self.clock.utc(now)
        self._last_hours = now
        return at

    def submit(self, now: float, request, payment_method: str | None) -> list:
        return self.board.handle(lc.SubmitRequest(agency=self.agency, request=request, at=self._at(now),
                                                  payment_method=payment_method))

    def respond(self, now: float, request_id: str, slot: int, badge: str, accept: bool = True) -> list:
        """An officer signs up / accepts (``Accept`` on a released shift or an offer,
        ``Apply`` during a sign-up window) or declines an offer."""
        at = self._at(now)
        if not accept:
            return self.board.handle(lc.Decline(at=at, request_id=request_id, slot=slot, badge=badge))
        return self.board.handle(lc.Accept(at=at, request_id=request_id, slot=slot, badge=badge))

    def drop(self, now: float, request_id: str, slot: int, badge: str) -> list:
        return self.board.handle(lc.DropShift(at=self._at(now), request_id=request_id, slot=slot, badge=badge))

    def cancel(self, now: float, request_id: str, channel: str, quotes_id: bool,
               slots: tuple[int, ...] | None = None) -> list:
        return self.board.handle(lc.CancelRequest(at=self._at(now), request_id=request_id, channel=channel,
                                                  quoted_request_id=request_id if quotes_id else None, slots=slots))

    def change(self, now: float, request_id: str, slot: int, start: float, end: float, officer_can: bool) -> list:
        return self.board.handle(lc.ChangeStart(at=self._at(now), request_id=request_id, start=self._at(start),
                                                end=self._at(end), officer_accepts=None if officer_can else False,
                                                slots=(slot,)))

    def release(self, now: float, request_id: str, slot: int) -> list:
        return self.board.handle(lc.ReleaseEarly(at=self._at(now), request_id=request_id, slot=slot))

    def clock_out(self, now: float, request_id: str, slot: int, clock_in: float, start_h: float | None = None,
                  end_h: float | None = None) -> list:
        """The officer of ``slot`` clocked in at ``clock_in`` and out now.  ``start_h`` and
        ``end_h``: the shift's scheduled start and end as the caller holds them (hours of the
        board's own instants, which are whole seconds); a clock time equal to one of them is
        handed over as the shift's own instant rather than made again (most shifts are worked
        as scheduled, and making an instant costs more than the rest of this call)."""
        shift = None
        if clock_in == start_h or now == end_h:
            job = self.board.jobs.get(request_id)
            if job is not None and 0 <= slot < len(job.slots):
                shift = job.slots[slot].shift
        clock_in_at = shift.start if shift is not None and clock_in == start_h else self.clock.utc(clock_in)
        out = shift.end if shift is not None and now == end_h else self._at(now)
        return self.board.handle(lc.ClockShift(request_id=request_id, slot=slot, clock_in=clock_in_at,
                                               clock_out=out, at=out))

    def no_show(self, now: float, request_id: str, slot: int) -> list:
        return self.board.handle(lc.NoShow(at=self._at(now), request_id=request_id, slot=slot))

    def advance(self, now: float) -> list:
        return self.board.advance(self._at(now))

    def fire(self, timer, now: float) -> list:
        """Run a board wake-up handed to ``schedule``, now that it is due."""
        return self.board.fire(timer, self._at(now))

    def hours_of(self, timer) -> float:
        """When a board wake-up is due, in simulation hours."""
        return self._due_hours(timer.at)

    def next_wakeup(self) -> float | None:
        t = self.board.next_wakeup()
        return None if t is None else self._due_hours(t)

    def _due_hours(self, when: datetime) -> float:
        """``when`` in simulation hours, at the whole second at or after it: the instants the
        adapter hands the board are whole seconds, so a wake-up due a fraction of a second
        past one (an offer open 60.45 s) runs at the next, rather than never being due at
        the instant its SimPy event fires."""
        return math.ceil((when - self.clock.epoch).total_seconds()) / 3600.0

    # --- reading ---------------------------------------------------------------------------

    def slot(self, request_id: str, slot: int):
        """The board's state of a slot (``status``, ``officer``, ``shift``, ``posting``) while
        its job is unsettled (the board drops a job once it is billed)."""
        return self.board.slot_state(request_id, slot)

    def slots(self, request_id: str) -> list:
        """The board's states of every slot of a request (empty once it is refused)."""
        job = self.board.jobs.get(request_id)
        return list(job.slots) if job is not None and job.status != "completed" else []

    def audience(self, posting) -> tuple[Officer, ...]:
        """Officers the posting is open to now (an indexed pool, not a scan)."""
        return self.board.pool(posting, posting.stage)

    def answer_mode(self, posting) -> str | None:
        """How an officer who sees ``posting`` now can take it: ``"accept"`` (released first
        come, first served), ``"apply"`` (a sign-up window or bidding), or None (closed, or
        sequencing, where only the officer offered may answer)."""
        if posting is None or not posting.is_open:
            return None
        if posting.mode == "first_come":
            return "accept"
        if posting.method.name == "sequencing":
            return None
        return "apply"

    def applied(self, posting) -> list[str]:
        """The badges who have applied for ``posting`` (the board's own list, to read only: it
        grows as officers apply, and starts empty again when the slot is posted again)."""
        return posting.applicants

    def offer_open(self, request_id: str, slot: int, badge: str) -> bool:
        job = self.board.jobs.get(request_id)
        if job is None:  # settled (cancelled) meanwhile
            return False
        posting = job.slots[slot].posting
        return posting is not None and posting.is_open and posting.pending == badge

    def holds(self, request_id: str, slot: int, badge: str) -> bool:
        """Whether ``badge`` holds the slot now (False once its job has settled)."""
        job = self.board.jobs.get(request_id)
        if job is None:
            return False
        st = job.slots[slot]
        return st.status == "filled" and st.officer == badge

    def why_not(self, posting, officer: Officer):
        """None if ``officer`` may take ``posting`` now, else the board's reason."""
        return self.board.why_not(posting, officer)

    def week_of(self, when: datetime) -> int:
        """The book's key of the agency week holding ``when``."""
        return self.days.week_of(epoch(when), self.week_start)

    def hours_in_week(self, badge: str, week: int) -> float:
        """Off-duty hours booked for ``badge`` in ``week`` (:meth:`week_of`)."""
        return self.book.week_secs.get((badge, week), 0) / 3600.0

    def week_hours(self, badge: str, when: datetime) -> float:
        """Off-duty hours booked in the agency week holding ``when``."""
        return self.hours_in_week(badge, self.week_of(when))

    def forget_records(self) -> None:
        """Drop the board's list of the records it has made: each call already returned its
        own, and the model has handed them on (a year would otherwise keep every one)."""
        self.board.records.clear()


#: Record classes the model and outputs read (re-exported so only this module imports lifecycle).
Refused = lc.Refused
Approved = lc.Approved
Posted = lc.Posted
Offered = lc.Offered
ReleasedToAll = lc.ReleasedToAll
StageOpened = lc.StageOpened
Awarded = lc.Awarded
Dropped = lc.Dropped
Cancelled = lc.Cancelled
StartChanged = lc.StartChanged
ShiftUnfilled = lc.ShiftUnfilled
Clocked = lc.Clocked
ReleasedEarly = lc.ReleasedEarly
NoShowReported = lc.NoShowReported
Completed = lc.Completed
Billed = lc.Billed
BillingFailed = lc.BillingFailed
