"""Officers looking at open postings: the stream of looks, thinned to the few that might be a "yes".

Officers look at an open posting as a Poisson stream (:class:`LookRate`: ``views_per_hour`` by
day, a quarter of that at night), each look by an officer drawn uniformly from the posting's
audience with an acceptance draw ``u``; the officer takes the shift when ``u`` is below their
acceptance probability and the rules let them.  Almost every look is a certain "no" that
changes nothing but the posting's count of looks (``max_views`` bounds it).  So
:class:`LookPlanner` does not draw every look.  It draws *proposals*, the looks that pass
three checks that each keep a look with a fixed probability, as a thinned Poisson stream:

- the officer takes part in off-duty work at all (a share of the audience: officers who never
  work are excluded by count, not drawn and refused);
- ``u`` is below a bound ``B`` on anyone's acceptance while the posting stands
  (:meth:`~offduty_simulations.model.YearModel.p_ceiling` at its highest);

so proposals come at ``B * share`` times the rate of looks, and the looks in between are
counted with one Poisson draw, not drawn one by one.  A proposal is then a look that is still
a certain "no", and only counted, when ``u`` is at or above the drawn officer's own ceiling
at that moment, or the officer is refused for a reason that stands while the posting keeps
its stage and shift (on duty, barred: asked once per officer and posting and remembered,
a lazy mask over the audience; never a cap, so no ``cap_hit`` is lost).  What remains is a
look that might be a "yes": one SimPy event, where the exact probability and the rules decide.
The same decisions in law as an event for every look.
"""

from __future__ import annotations

import functools
import math

from . import fill as F


class LookRate:
    """The day/night rate of looks at a posting and its integral, so looks can be counted over
    an interval and a thinned stream drawn exactly: ``per_hour`` from 06:00 to 21:59 and a
    quarter of it from 22:00 to 05:59 (hours of the simulation clock, local days)."""

    __slots__ = ("day", "night", "morning", "evening", "per_day")

    def __init__(self, per_hour: float):
        self.day, self.night = per_hour, per_hour * 0.25
        self.morning = 6.0 * self.night  # looks from midnight to 06:00
        self.evening = self.morning + 16.0 * self.day  # ... to 22:00
        self.per_day = self.evening + 2.0 * self.night

    def integral(self, t: float) -> float:
        """Expected looks from time 0 to ``t`` (negative before 0)."""
        days, h = divmod(t, 24.0)
        if h < 6.0:
            x = h * self.night
        elif h < 22.0:
            x = self.morning + (h - 6.0) * self.day
        else:
            x = self.evening + (h - 22.0) * self.night
        return days * self.per_day + x

    def inverse(self, x: float) -> float:
        """The time by which :meth:`integral` reaches ``x``."""
        days, rem = divmod(x, self.per_day)
        if rem < self.morning:
            h = rem / self.night
        elif rem < self.evening:
            h = 6.0 + (rem - self.morning) / self.day
        else:
            h = 22.0 + (rem - self.evening) / self.night
        return days * 24.0 + h


class LookPlanner:
    """Plans the looks of one :class:`~offduty_simulations.model.YearModel` (see the module
    docstring).  ``thinned=False`` makes every look a proposal and skips no look as a certain
    "no" (no bound, no participation share, no fixed objections): the reference the thinning
    must agree with in law, for tests.  ``record``: the model's record type (``cap_hit``)."""

    def __init__(self, model, record: type, thinned: bool = True):
        self.model = model
        self.record = record  # the model's record type, for cap hits
        self.fill = model.fill
        self.rate = LookRate(model.views_rate)
        self.max_views = model.max_views
        self.thinned = thinned
        self._participants: dict[int, tuple] = {}  # id(audience) -> (audience, ((officer, offset), ...))

    def participants(self, audience: tuple) -> tuple:
        """The officers of ``audience`` who might say yes, with their log-odds offsets
        (everyone, with ``acceptance.always`` or unthinned).  The board's pools are kept
        tuples, so this is worked out once per pool."""
        kept = self._participants.get(id(audience))
        if kept is not None and kept[0] is audience:
            return kept[1]
        model = self.model
        if model.acc.always or not self.thinned:
            out = tuple((o, 0.0) for o in audience)
        else:
            activity = model.activity
            out = tuple((o, activity[o.badge]) for o in audience if o.badge in activity)
        self._participants[id(audience)] = (audience, out)
        return out

    def _bound(self, b, now: float) -> float:
        """The most anyone could accept from now until the start (the ceiling falls as the
        start nears when lead time raises acceptance, and rises otherwise)."""
        model = self.model
        if not self.thinned or model.acc.always:
            return 1.0
        return model.p_ceiling(b, now if model.acc.lead_time >= 0 else b.start_h)

    def plan(self, rid: str, slot: int, b, token: int, state) -> None:
        """Plan the next look at the posting that might be a "yes" and schedule it (one SimPy
        event with :meth:`look` as its callback), counting the looks before it.  Looks stop
        when the posting is taken, closed, superseded by a new posting (``token``), starts,
        or has had ``max_views`` looks."""
        max_views = self.max_views
        if b.looks != token or b.views >= max_views:
            return
        model, fill = self.model, self.fill
        env = model.env
        now = env.now
        start_h = b.start_h
        if now >= start_h:
            return
        posting = state.posting
        if fill.answer_mode(posting) is None:
            return
        kept = b.audience
        if kept is not None and kept[0] is posting and kept[1] == posting.stage and kept[2] is posting.shift:
            audience, pool, fixed = kept[3], kept[4], kept[5]
        else:
            audience = fill.audience(posting)
            pool, fixed = self.participants(audience), {}
            b.audience = (posting, posting.stage, posting.shift, audience, pool, fixed)
        rate, draws = self.rate, model.looks_draw
        left = max_views - b.views
        bound = self._bound(b, now) if pool else 0.0
        beta = bound * len(pool) / len(audience) if pool else 0.0  # the share of looks that are proposals
        x_start = rate.integral(start_h)
        x0 = x = rate.integral(now)
        if beta <= 0.0:  # nobody could say yes: the looks until the start are only counted
            b.views += draws.poisson(x_start - x, left)
            return
        exponential, below, uniform = draws._exp, draws.below, model.accept_draw.random
        inverse, poisson = rate.inverse, draws.poisson
        thinned, fixed_objection = self.thinned, fill.fixed_objection
        acc = model.acc
        check_ceiling = thinned and not acc.always
        if check_ceiling:
            x_slot = b.x0 if b.x0 is not None else model._x0(b)
            if acc.hours_worked > 0:
                x_slot += acc.hours_worked * 16.8  # a week holds at most 168 hours
            lead = acc.lead_time
        counted, rejected = 0, []  # looks before the proposal, and the proposals among them that were a "no"
        n = len(pool)
        while True:
            x_next = x + exponential() / beta
            if x_next >= x_start:  # the start comes first
                b.views = min(max_views, b.views + counted + poisson((1.0 - beta) * (x_start - x), left - counted))
                return
            counted += poisson((1.0 - beta) * (x_next - x), left - counted)
            if counted >= left:
                b.views = max_views
                return
            x = x_next
            t = inverse(x)
            officer, offset = pool[below(n)]
            u = bound * uniform()
            if check_ceiling:
                # this officer's own ceiling at t: u at or above it is a certain "no"
                xi = x_slot + offset + lead * math.log1p(max(0.0, start_h - t) / 24.0)
                passes = u * (1.0 + math.exp(-xi)) < 1.0
            else:
                passes = True
            if passes and thinned:
                no = fixed.get(officer.badge)
                if no is None:
                    no = fixed[officer.badge] = fixed_objection(posting, officer)
                passes = not no
            if passes:
                break
            counted += 1
            rejected.append(t)
            if counted >= left:
                b.views = max_views
                return
        env.timeout(t - now).callbacks.append(functools.partial(
            self.look, rid, slot, b, token, state, posting, officer, u, (x0, x, counted, rejected)))

    def look(self, rid: str, slot: int, b, token: int, state, posting, officer, u: float, before: tuple,
             _event=None) -> None:
        """A look that might be a "yes": the officer accepts if ``u`` is below their exact
        probability now, and the rules are asked whether they may; then the next look is
        planned.  ``before``: (expected looks at planning, at this look, the looks counted in
        between, the times of proposals among them)."""
        model = self.model
        if b.looks != token:  # superseded: count the looks made before the new posting
            b.views += self._looks_before(b.restarted_at, before)
            return
        b.views += before[2] + 1
        fill = self.fill
        mode = fill.answer_mode(posting)
        if mode is None or state.posting is not posting:
            return  # taken or closed meanwhile (a new posting restarts the looks)
        if mode == "apply":
            if fill.applicants(posting) >= model.max_applicants:
                return  # enough sign-ups: the window's close decides
            if fill.has_applied(posting, officer.badge):
                return self.plan(rid, slot, b, token, state)
        # The officer decides first; the rules then say whether they may (a cap hit is an
        # officer who wanted the shift and was over a cap).
        now = model.env.now
        if u < model.p_accept(b, officer.badge, posting.shift.start):
            rule = fill.objection(posting, officer)
            if rule is None:
                model._handle(fill.respond(now, rid, slot, officer.badge))
            elif rule in F.CAP_RULES:
                model.emit(self.record(now, "cap_hit", rid, slot, officer.badge, note=rule))
        self.plan(rid, slot, b, token, state)

    def _looks_before(self, when: float, before: tuple) -> int:
        """How many of the looks counted before a proposal came before ``when``: the rejected
        proposals by their times, the others (spread uniformly over expected looks) by a
        binomial draw."""
        x0, x1, counted, rejected = before
        early = sum(1 for t in rejected if t < when)
        others = counted - len(rejected)
        if others and x1 > x0:
            share = (self.rate.integral(when) - x0) / (x1 - x0)
            random = self.model.looks_draw.random
            early += sum(1 for _ in range(others) if random() < share)
        return early
