"""The SimPy model of one agency's year, driven through the core's job lifecycle.

The model owns the SimPy environment and the *behaviour*: when requests arrive, when
officers look at a posting and whether they accept, how fast they answer an offer, who drops
a shift, who does not come, who is released early, what vendors cancel or move, when vendors
pay.  Everything the agency's rules decide -- admission, eligibility, who is awarded a shift
by the agency's distribution method, reposts and back-ups, cancellation and change charges,
billing -- happens in the core's :class:`~offduty_core.lifecycle.JobBoard`, reached only
through :mod:`offduty_simulations.fill`.  The board's wake-ups (windows closing,
offers lapsing, stages opening, shifts starting unfilled, jobs settling) stay in the board;
the model keeps one SimPy event for the earliest, so a wake-up made stale meanwhile (most
unfilled alerts and start checks: the shift was filled) costs no SimPy event.

Processes and callbacks emit immutable records: the board's own (``Posted``, ``Awarded``,
``Billed``, ...) and the model's :class:`~offduty_simulations.tally.Record` (``cap_hit``,
``paid``, ``defaulted``).  They go to a :class:`~offduty_simulations.tally.Tally`, which turns
each job's records into rows and sums when it settles and drops them; the files are assembled
from those by :mod:`offduty_simulations.outputs`.

Acceptance: an eligible officer who sees a shift takes it with probability
``1 / (1 + exp(-x))``, ``x = base + pay * (share / reference - 1) + night + weekend +
lead_time * ln(1 + lead days) + hours_worked * (hours booked this week) / 10``
(:class:`~offduty_simulations.scenario.Acceptance`).  Officers look at an open posting as a
Poisson stream of ``views_per_hour`` (a quarter of that at night), each look by an officer
drawn from the posting's audience (:mod:`offduty_simulations.looks` draws only the looks that
might be a "yes" and counts the others).

Time is float hours since the first simulated day's local midnight
(:class:`~offduty_simulations.demand.Clock`).
"""

from __future__ import annotations

import collections
import functools
import itertools
import math
from math import exp, log1p
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import simpy

from offduty_core.rules import AgencyRules

from . import demand as demand_mod
from . import fill as F
from .looks import LookPlanner
from .memory import paused_gc, system_arrow_pool
from .scenario import MAX_DAYS, Scenario
from .tally import ModelResult, Record, Tally  # noqa: F401  (Record and ModelResult: imported from here too)

NIGHT = frozenset((22, 23, 0, 1, 2, 3, 4, 5))
_new = tuple.__new__
INF = float("inf")


class Draws:
    """A random stream read a block at a time: the same numbers, in the same order, for the
    same generator state, at a fraction of the cost of one numpy call per number (a year draws
    hundreds of thousands of them, one or three per look).

    ``random()`` is uniform on [0, 1), ``exponential(scale)`` has mean ``scale``, and
    ``below(n)`` is uniform on 0..n-1, ``poisson(mean, cap)`` a Poisson count capped at ``cap``."""

    __slots__ = ("random", "_exp", "_gen")
    BLOCK = 4096

    def __init__(self, gen: np.random.Generator):
        self._gen = gen
        block = self.BLOCK
        # A block is drawn when the previous one is used up and the next number is asked for
        # (the generator's other draws interleave exactly as one block-reading generator
        # function's would); ``chain`` hands the numbers out in C, without resuming a frame.
        uniforms = itertools.chain.from_iterable(iter(lambda: gen.random(block).tolist(), None))
        exponentials = itertools.chain.from_iterable(iter(lambda: gen.standard_exponential(block).tolist(), None))
        self.random: Callable[[], float] = uniforms.__next__
        self._exp: Callable[[], float] = exponentials.__next__

    def exponential(self, scale: float) -> float:
        return scale * self._exp()

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def poisson(self, mean: float, cap: int) -> int:
        """A Poisson count of mean ``mean``, or ``cap`` if that is fewer: one uniform by
        inversion for the small means a look planner asks for, numpy beyond."""
        if mean <= 0.0 or cap <= 0:
            return 0
        if mean > 30.0:
            return min(int(self._gen.poisson(mean)), cap)
        u = self.random()
        p = exp(-mean)
        f, k = p, 0
        while u >= f and k < cap and p > 0.0:
            k += 1
            p *= mean / k
            f += p
        return k


def draw_activity(participation: float, sigma: float, badges: list[str],
                  g: np.random.Generator) -> dict[str, float]:
    """Who works off-duty and how keenly: each officer takes part with probability
    ``participation``; a participant's acceptance log-odds are shifted by a draw from
    Normal(0, ``sigma``).  Two draws per officer in roster order, whatever the outcome, so a
    change of ``participation`` keeps every other officer's draws."""
    n = len(badges)
    takes = g.random(n) < participation
    offsets = g.normal(0.0, sigma, n) if sigma > 0 else np.zeros(n)
    return {badge: float(x) for badge, took, x in zip(badges, takes.tolist(), offsets.tolist()) if took}


class SlotBehaviour:
    """The model's per-slot bookkeeping (not the slot's state, which the board owns)."""

    __slots__ = ("looks", "restarted_at", "work", "views", "start_h", "end_h", "pay", "night", "weekend", "x0",
                 "week", "audience")

    def __init__(self, start_h: float, end_h: float, pay: float, night: bool, weekend: bool):
        self.looks = 0  # token: a new posting or release restarts the looks
        self.restarted_at = -INF  # when they last restarted
        self.work = 0  # token: a new award or moved start restarts the work plan
        self.views = 0
        self.start_h = start_h
        self.end_h = end_h
        self.pay = pay
        self.night = night
        self.weekend = weekend
        self.x0: float | None = None  # the acceptance log-odds that do not change while it is posted
        self.week = None  # the agency week of the start (hours already booked are counted in it)
        # what the planning of looks keeps while the posting keeps its stage and shift: the
        # audience's participants and the bound at the start (LookPlanner._standing)
        self.audience: tuple | None = None


def _drain(jobs: list) -> Iterator:
    """A list's items in order, each let go by the queue as it is taken."""
    queue = collections.deque(jobs)
    while queue:
        yield queue.popleft()


class YearModel:
    """One replication: build with the scenario, effective rules, random streams and the
    generated jobs, then :meth:`run`.  ``registry`` is where the agency's plugins come from
    (default: the installed ones).  ``jobs`` (a list, or :func:`demand.queue
    <offduty_simulations.demand.queue>`'s jobs made as they are taken) are read once, in
    order, as they arrive, so with the queue or a list nobody else keeps each job is let go
    once it has settled."""

    def __init__(self, scenario: Scenario, rules: AgencyRules, rng: dict[str, np.random.Generator],
                 jobs: Iterable, progress: Callable[[int], None] | None = None, registry: Any = None):
        self.scenario = scenario
        self.rules = rules
        self.rng = rng
        first = getattr(jobs, "first_received", None)
        if first is None:  # a list, or any other iterable (read whole: its first arrival is needed now)
            jobs = list(jobs)
            first = min((j.received for j in jobs), default=0.0)
        self.jobs: Iterator = _drain(jobs) if isinstance(jobs, list) else iter(jobs)  # not yet arrived
        self.progress = progress
        self.clock = demand_mod.Clock(scenario.agency.first_day, rules.info.tz)
        self.roster = F.build_roster(scenario, rules, rng["roster"])
        self.env = simpy.Environment(initial_time=min(0.0, first))
        self.fill = F.FillAdapter(scenario, rules, self.roster, self.clock, registry=registry)
        self.fill.drive(self.env, self._handle)  # the board's wake-ups: one SimPy event, the earliest
        self.tally = Tally(rules, self.clock)
        self.emit = self.tally.record
        # The streams drawn from per look, per award and per shift, read a block at a time.
        self.looks_draw, self.accept_draw = Draws(rng["looks"]), Draws(rng["acceptance"])
        self.drops_draw, self.noshow_draw = Draws(rng["drops"]), Draws(rng["noshow"])
        self.release_draw, self.moves_draw = Draws(rng["release"]), Draws(rng["moves"])
        self.slots: dict[tuple[str, int], SlotBehaviour] = {}
        o = scenario.officers
        self.acc = o.acceptance
        #: Each participating officer's log-odds offset (officers who never work are absent).
        self.activity = draw_activity(o.participation, o.activity_sigma, [x.badge for x in self.roster.officers],
                                      rng["participation"])
        self.activity_max = max(self.activity.values(), default=-math.inf)
        self.views_rate = o.views_per_hour
        self.max_views = o.max_views
        self.max_applicants = o.max_applicants
        self.instant = o.instant
        self.response = o.response_minutes
        reg = rules.rates.get(rules.rates.roles["officer"])
        self.reference_pay = self.acc.reference_pay or float(reg.share)
        ch = scenario.changes
        self.drop_rate, self.no_show_rate, self.release_rate = ch.drop_rate, ch.no_show_rate, ch.early_release_rate
        self._pay_cache: dict[tuple, float] = {}
        self._weeks: dict = {}  # start -> its agency week (_week_of)
        self._vendor_method: dict[str, str] = {}
        #: Plans officers' looks at open postings (:mod:`offduty_simulations.looks`).
        self.looks = LookPlanner(self, Record)
        self._next_job = None  # the job the pending arrival timeout is for
        self._received = 0  # jobs received so far (for ``progress``)
        # The first event: the arrivals start when the run does (nothing else is scheduled yet).
        self.env.timeout(0.0).callbacks.append(self._first_arrival)

    # --- the board ----------------------------------------------------------------------

    def _handle(self, records: list) -> None:
        """React to the board's new records (the tally keeps what the files need of them).

        Each record's class picks its reaction from :attr:`_REACTIONS` by one lookup; most
        records (``Clocked``, ``Approved``, ``Applied``, ...) need none and cost no more."""
        self.tally.add(records)
        reactions = self._REACTIONS
        for r in records:
            react = reactions.get(r.__class__)
            if react is not None:
                react(self, r)

    def _on_opened(self, r) -> None:
        """Posted or reposted, released to all, or a stage opened: (more) officers may look.
        A posting leaves the slot's hours as they are: they are the request's from its
        receipt, and each move of its start sets them again (``StartChanged`` comes before
        the repost)."""
        self._start_looks(r.request_id, r.slot)

    def _on_start_changed(self, r) -> None:
        b = self.slots[(r.request_id, r.slot)]
        b.start_h, b.end_h = self.clock.hours(r.start), self.clock.hours(r.end)
        b.x0 = b.week = None
        if b.looks:  # looks planned for the old start are replanned for the new one
            self._start_looks(r.request_id, r.slot)
        if r.kept and r.badge:
            self._plan_work(r.request_id, r.slot, r.badge, drop=False)

    def _on_completed(self, r) -> None:
        for i in range(len(r.slots)):  # settled: nothing more happens to its slots
            self.slots.pop((r.request_id, i), None)
        self.fill.forget_records()  # the board's list holds only records made since

    def _on_billed(self, r) -> None:
        self.tally.settle(r.request_id, self._payment(r))

    def _on_billing_failed(self, r) -> None:
        self.tally.settle(r.request_id)

    # --- helpers ------------------------------------------------------------------------

    def _slot_pay(self, role: str, emergency: bool, day) -> float:
        """The officer's share an hour for a role on a day, as billing would pick it (an
        emergency request at its agency's narrowest notice tier)."""
        key = (role, emergency, day)
        pay = self._pay_cache.get(key)
        if pay is None:
            rules = self.rules
            notice = rules.notice_tiers[0][1] if emergency and rules.notice_tiers else None
            names = rules.default_classes(role, rules.holiday_name(day), notice)
            pay = sum(rules.classes[n].share for n in names) / 100.0
            self._pay_cache[key] = pay
        return pay

    def _x0(self, b: SlotBehaviour) -> float:
        """The log-odds terms that stay the same while the slot keeps its start."""
        a = self.acc
        b.x0 = x0 = (a.base + a.pay * (b.pay / self.reference_pay - 1.0) + (a.night if b.night else 0.0)
                     + (a.weekend if b.weekend else 0.0))
        return x0

    def p_accept(self, b: SlotBehaviour, badge: str, when) -> float:
        """How likely ``badge``, looking now, takes the slot (``when``: its start, for the week
        whose hours count)."""
        a = self.acc
        if a.always:
            return 1.0
        offset = self.activity.get(badge)
        if offset is None:
            return 0.0  # never works off-duty
        x0 = b.x0
        if x0 is None:  # the look planner has usually worked it out already
            x0 = self._x0(b)
        if b.week is None:
            b.week = self._week_of(when)
        x = x0 + offset + a.lead_time * log1p(max(0.0, b.start_h - self.env.now) / 24.0)
        if a.hours_worked:
            x += a.hours_worked * self.fill.hours_in_week(badge, b.week) / 10.0
        return 1.0 / (1.0 + exp(-x))

    def _week_of(self, when) -> int:
        """``fill.week_of(when)``, remembered: a slot asks once, and slots often share a start
        (a request's slots, the hours shifts start at), where the board's answer costs a
        conversion to local time each time."""
        week = self._weeks.get(when)
        if week is None:
            if len(self._weeks) >= 4096:  # bounded: starts come roughly in order
                self._weeks.clear()
            week = self._weeks[when] = self.fill.week_of(when)
        return week

    def p_ceiling(self, b: SlotBehaviour, t: float) -> float:
        """At least :meth:`p_accept` for any officer looking at time ``t`` (before any change
        of start, which restarts the looks): the look planner's bound
        (:meth:`LookPlanner.log_odds_bound <offduty_simulations.looks.LookPlanner.log_odds_bound>`)
        for the keenest officer."""
        if self.acc.always:
            return 1.0
        if self.activity_max == -math.inf:
            return 0.0  # nobody works off-duty
        return 1.0 / (1.0 + math.exp(-(self.looks.log_odds_bound(b, t) + self.activity_max)))

    # --- arrivals -------------------------------------------------------------------------

    def _arrivals(self, _event=None) -> None:
        """Receive every job that has arrived by now, then wait for the next one: a chain of
        timeouts with this as their callback rather than a SimPy process, since resuming a
        process costs several times a callback and a year has one resume per arrival
        instant.  The first call is an event at the start (the one a process's start would
        be); each job is taken from :attr:`jobs` at the instant the process took it, and
        every timeout is made where the process made it, so events keep their ids and order."""
        env = self.env
        job = self._next_job
        while job is not None:
            self.tally.receive(job)
            self._receive(job)
            self._received += 1
            if self.progress is not None and self._received % 500 == 0:
                self.progress(500)
            job = next(self.jobs, None)
            if job is not None and job.received > env.now:
                self._next_job = job
                env.timeout(job.received - env.now).callbacks.append(self._arrivals)
                return
        self._next_job = None
        if self.progress is not None:
            self.progress(self._received % 500)

    def _first_arrival(self, _event) -> None:
        """Take the first job (at the start event, as the arrivals process did) and receive it
        now or wait for it."""
        job = next(self.jobs, None)
        if job is not None and job.received > self.env.now:
            self._next_job = job
            self.env.timeout(job.received - self.env.now).callbacks.append(self._arrivals)
        else:
            self._next_job = job
            self._arrivals()

    def _method_for(self, vendor: str) -> str:
        method = self._vendor_method.get(vendor)
        if method is None:
            pay = self.scenario.payment
            names = sorted(pay.methods)
            p = np.array([pay.methods[m] for m in names], dtype=float)
            method = names[int(self.rng["payment"].choice(len(names), p=p / p.sum()))]
            self._vendor_method[vendor] = method
        return method

    def _receive(self, job: demand_mod.Job) -> None:
        request = job.request
        day = job.day
        night = int(job.local_hour) in NIGHT
        weekend = job.weekday >= 5
        records = self.fill.submit(self.env.now, request, self._method_for(request.vendor))
        for r in records:
            if type(r) is F.Approved:
                for i, role in enumerate(r.roles):
                    self.slots[(job.id, i)] = SlotBehaviour(job.start, job.end,
                                                            self._slot_pay(role, r.emergency, day), night, weekend)
                if job.cancel_at is not None or job.reduce_at is not None or job.change_at is not None:
                    self.env.process(self._vendor(job))
        self._handle(records)

    # --- officers looking, answering, working ---------------------------------------------

    def _start_looks(self, rid: str, slot: int) -> None:
        b = self.slots[(rid, slot)]
        b.looks += 1
        b.restarted_at = self.env.now
        state = self.fill.slot(rid, slot)
        if not self.instant:
            self.looks.plan(rid, slot, b, b.looks, state)  # which asks whether the posting takes answers
        elif self.fill.answer_mode(state.posting) is not None:
            self._instant(rid, slot, b, state.posting)

    def _instant(self, rid: str, slot: int, b: SlotBehaviour, posting) -> None:
        """Theory mode: every officer in the audience sees the posting at once."""
        fill = self.fill
        audience = fill.audience(posting)
        if not audience:
            return
        when = posting.shift.start
        for i in self.rng["looks"].permutation(len(audience)):
            officer = audience[int(i)]
            if fill.objection(posting, officer) is None and (
                    self.acc.always or self.accept_draw.random() < self.p_accept(b, officer.badge, when)):
                self._handle(fill.respond(self.env.now, rid, slot, officer.badge))
                return

    def _answer_later(self, offer) -> None:
        env = self.env
        rid, slot, badge = offer.request_id, offer.slot, offer.badge
        b = self.slots[(rid, slot)]
        delay = float(self.response.draw(self.rng["response"])) / 60.0
        accepts = self.acc.always or self.accept_draw.random() < self.p_accept(b, badge, offer.deadline)
        if env.now + delay >= self.clock.hours(offer.deadline):
            return  # no answer in time: the board lets the offer lapse

        def answer(_event) -> None:
            if not self.fill.offer_open(rid, slot, badge):
                return
            posting = self.fill.slot(rid, slot).posting
            ok = accepts and self.fill.objection(posting, self.roster.by_badge[badge]) is None
            self._handle(self.fill.respond(env.now, rid, slot, badge, accept=ok))

        env.timeout(delay).callbacks.append(answer)

    def _on_award(self, r) -> None:
        # The slot's hours are those of the shift awarded: the request's, set at its receipt,
        # and again by each move of its start (``StartChanged`` comes before the repost or
        # the award).
        self._plan_work(r.request_id, r.slot, r.badge, drop=True)

    def _plan_work(self, rid: str, slot: int, badge: str, drop: bool) -> None:
        """Schedule what the officer now holding the slot does next: drop it (a timed event),
        or work it (:meth:`_plan_shift`).  Events with callbacks, no process; ``b.work`` is the
        token a newer plan supersedes this one with."""
        b = self.slots[(rid, slot)]
        b.work += 1
        env = self.env
        lead = b.start_h - env.now
        if drop and self.drop_rate and lead > 1.0 and self.drops_draw.random() < self.drop_rate:
            drop_at = env.now + lead * self.drops_draw.random()
            env.timeout(drop_at - env.now).callbacks.append(
                functools.partial(self._drop_due, rid, slot, badge, b, b.work))
        else:
            self._plan_shift(rid, slot, badge, b, max(env.now, b.start_h))

    def _drop_due(self, rid: str, slot: int, badge: str, b: SlotBehaviour, token: int, _event) -> None:
        if b.work != token or not self.fill.holds(rid, slot, badge) or self.env.now >= b.start_h:
            return
        self._handle(self.fill.drop(self.env.now, rid, slot, badge))

    def _plan_shift(self, rid: str, slot: int, badge: str, b: SlotBehaviour, clock_in: float) -> None:
        """The shift as the officer will work it, decided now and carried out by one event:
        not turning up (at the start), or clocking out at the scheduled end or when released
        early.  Nothing the model does depends on the clock-in itself, so it needs no event of
        its own (one SimPy event a shift fewer); a newer plan (``b.work``) supersedes this one."""
        env, token = self.env, b.work
        if self.no_show_rate and self.noshow_draw.random() < self.no_show_rate:
            env.timeout(clock_in - env.now).callbacks.append(
                functools.partial(self._no_show, rid, slot, badge, b, token))
            return
        if self.release_rate and self.release_draw.random() < self.release_rate:
            length = b.end_h - clock_in
            cut = round(length * (0.3 + 0.6 * self.release_draw.random()) * 4) / 4
            if 0 < cut < length:
                env.timeout(clock_in + cut - env.now).callbacks.append(
                    functools.partial(self._shift_ends, rid, slot, badge, b, token, clock_in, True))
                return
        env.timeout(max(clock_in, b.end_h) - env.now).callbacks.append(
            functools.partial(self._shift_ends, rid, slot, badge, b, token, clock_in, False))

    def _no_show(self, rid: str, slot: int, badge: str, b: SlotBehaviour, token: int, _event) -> None:
        if b.work == token and self.fill.holds(rid, slot, badge):
            self._handle(self.fill.no_show(self.env.now, rid, slot))

    def _shift_ends(self, rid: str, slot: int, badge: str, b: SlotBehaviour, token: int, clock_in: float,
                    released: bool, _event) -> None:
        if b.work != token or not self.fill.holds(rid, slot, badge):
            return
        if released:
            self._handle(self.fill.release(self.env.now, rid, slot))
            if not self.fill.holds(rid, slot, badge):
                return
        self._handle(self.fill.clock_out(self.env.now, rid, slot, clock_in, b.start_h, b.end_h))

    # --- vendors --------------------------------------------------------------------------

    def _vendor(self, job: demand_mod.Job):
        env, fill = self.env, self.fill
        plan = sorted((t, kind) for t, kind in ((job.cancel_at, "cancel"), (job.reduce_at, "reduce"),
                                                (job.change_at, "change")) if t is not None)
        for t, kind in plan:
            if t > env.now:
                yield env.timeout(t - env.now)
            live = [st for st in fill.slots(job.id) if st.status in ("pending", "open", "filled")]
            if not live:
                return
            if kind == "cancel":
                self._handle(fill.cancel(env.now, job.id, job.cancel_channel, job.cancel_quotes_id))
            elif kind == "reduce":
                officers = [st for st in live if st.slot.role == "officer"]
                if len(officers) >= 2:
                    self._handle(fill.cancel(env.now, job.id, "email", True, slots=(officers[-1].slot.index,)))
            else:
                b = self.slots[(job.id, live[0].slot.index)]
                new_start = b.start_h + job.change_by_hours
                if new_start <= env.now + 1.0:
                    continue
                length = b.end_h - b.start_h
                cannot = self.scenario.changes.officer_cannot_change
                for st in live:
                    can = self.moves_draw.random() >= cannot
                    if st.status in ("pending", "open", "filled") and fill.slots(job.id):
                        self._handle(fill.change(env.now, job.id, st.slot.index, new_start, new_start + length, can))

    # --- payment --------------------------------------------------------------------------

    def _payment(self, billed) -> Record | None:
        """How the vendor pays the job's invoice, drawn when the job settles and recorded then
        (a ``paid`` record carries its day): nothing happens in between, so no event waits for
        it.  None for a bill with nothing to pay."""
        env = self.env
        method = billed.bill.payment_method or "ach"
        pay = self.scenario.payment
        g = self.rng["payment"]
        if billed.bill.cents["vendor"] <= 0:  # nothing to pay (integer cents; no text parsed)
            return None
        # The invoice is issued when the job settles; days to pay count from the next day.
        invoice = (math.floor(env.now / 24.0) + 1) * 24.0
        # Records made in field order as plain tuples (t, kind, job, slot, officer, a, note):
        # a named tuple's constructor matching keywords costs several times the tuple.
        if g.random() < pay.default_rate:
            return _new(Record, (env.now, "defaulted", billed.request_id, -1, "", math.nan, method))
        days = min(max(0.0, round(float(pay.days_to_pay.draw(g)))), MAX_DAYS)
        day = invoice + days * 24.0
        return _new(Record, (day, "paid", billed.request_id, -1, "", day, method))

    #: The model's reaction to each kind of board record it reacts to (:meth:`_handle`).
    _REACTIONS: dict[type, Callable[["YearModel", Any], None]] = {
        F.Posted: _on_opened, F.ReleasedToAll: _on_opened, F.StageOpened: _on_opened,
        F.Offered: _answer_later, F.Awarded: _on_award, F.StartChanged: _on_start_changed,
        F.Completed: _on_completed, F.Billed: _on_billed, F.BillingFailed: _on_billing_failed,
    }

    # --- run ----------------------------------------------------------------------------

    def run(self) -> ModelResult:
        with paused_gc(), system_arrow_pool():
            self.env.run()
            self.tally.finish()
        return ModelResult(scenario=self.scenario, rules=self.rules, tally=self.tally, roster=self.roster,
                           clock=self.clock, fill_status=self.fill.status)


# --- the scenario's rules -------------------------------------------------------------------


def scenario_rules(scenario: Scenario, published: AgencyRules) -> AgencyRules:
    """The agency's real rules with the scenario's ``[fees]`` applied: every rate class (and
    city line) multiplied by ``rate_multiplier``, and, with ``admin_fee_pct``, every total set
    to the share plus that percentage.  Billing then prices with these rules as it would
    with the plugin's own (amounts rounded half up to the cent)."""
    import attrs
    from decimal import Decimal

    from offduty_core.money import cents
    from offduty_core.rules import compile_rules
    from offduty_core.spec import RateTable

    f = scenario.fees
    if f.rate_multiplier == 1.0 and f.admin_fee_pct is None:
        return published
    m = Decimal(str(f.rate_multiplier))
    classes = []
    for cls in published.rates.classes:
        share = cents(cls.share * m)
        total = cents(cls.total * m) if f.admin_fee_pct is None else cents(
            share * (1 + Decimal(str(f.admin_fee_pct)) / 100))
        classes.append(attrs.evolve(cls, share=share, total=total))
    extras = tuple(attrs.evolve(
        c, total=cents(c.total * m), city_share=cents(c.city_share * m),
        first_hour_total=None if c.first_hour_total is None else cents(c.first_hour_total * m),
        first_hour_city_share=None if c.first_hour_city_share is None else cents(c.first_hour_city_share * m))
        for c in published.extras)
    rates = RateTable(classes=tuple(classes), roles=dict(published.rates.roles))
    spec = published.spec.evolve(rates=rates, extras=extras)
    return compile_rules(spec, categories=published.categories, source=published.source, hooks=published.hooks)
