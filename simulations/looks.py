"""Officers looking at open postings: the stream of looks, thinned to the few that might be a "yes".

Officers look at an open posting one after another (:class:`LookStream`: ``views_per_hour``
by day, a quarter of that at night), each look by an officer drawn uniformly from the
posting's audience with an acceptance draw ``u``; the officer takes the shift when ``u`` is
below their acceptance probability and the rules let them.  Almost every look is a certain
"no" that changes nothing but the posting's count of looks (``max_views`` bounds it).  So
:class:`LookPlanner` does not draw every look.  It draws *proposals*, the looks that pass two
checks that each keep a look with a fixed probability, as a thinned stream:

- the officer takes part in off-duty work at all (a share of the audience: officers who never
  work are excluded by count, not drawn and refused);
- ``u`` is below a bound on the acceptance of the officer's band of log-odds offsets while
  the posting stands (:meth:`LookPlanner.log_odds_bound`, the model's ``p_ceiling`` per band);

so proposals come at that share of the rate of looks, and the looks in between are counted
with a Poisson draw, not drawn one by one.  A proposal is then a look that is still a certain
"no", and only counted, when ``u`` is at or above the drawn officer's own ceiling at that
moment, or the officer is refused for a reason that stands while the posting keeps its stage
and shift (on duty, barred; never a cap, so no ``cap_hit`` is lost: the board works it out once
per officer and shift and keeps it on the shift, a lazy mask over the audience), or has
already applied.  A proposal's officer and ``u`` do not depend on when it comes, so the
planner draws them first and asks the stream for a time only once one might be a "yes": the
certain "no"s before it are skipped by the stream (:meth:`LookStream.next`'s ``skip``) and
counted with the other looks.  What remains is a look that might be a "yes": one SimPy event,
where the exact probability and the rules decide.  The same decisions in law as an event for every look.
"""

from __future__ import annotations

import functools
import math
from math import exp, floor, inf, log1p

from . import fill as F


class LookStream:
    """When officers look at a posting, drawn a proposal at a time.

    After each look (and when a posting opens) the wait for the next look is exponential at
    the rate of the hour it came at: ``per_hour`` from 06:00 to 21:59, a quarter of it from
    22:00 to 05:59 (hours of the simulation clock).  So the rate of a day or a night starts
    at its first look, and within a stretch of one rate the looks are a Poisson stream.
    :meth:`next` keeps each look as a proposal with probability ``beta`` and draws the first
    proposal directly (a Poisson stream at ``beta`` times the rate), counting the looks
    before it with one Poisson draw per stretch; only the look that changes the rate is
    drawn on its own.  ``draws``: a :class:`~offduty_simulations.model.Draws`."""

    __slots__ = ("day", "night", "_exp", "_random", "_poisson")

    def __init__(self, per_hour: float, draws):
        self.day, self.night = per_hour, per_hour * 0.25
        self._exp, self._random, self._poisson = draws._exp, draws.random, draws.poisson

    def next(self, t: float, end: float, beta: float, left: int, where: list, skip: int = 0) -> tuple:
        """From a look (or a posting opening) at ``t``: the time of the first proposal after
        ``skip`` proposals, which are counted as looks (certain "no"s), or None when ``end``
        comes first or ``left`` looks are counted first; and the looks counted before it.
        Where they were is appended to ``where`` as ``(from, to, count)`` stretches (a single
        look is ``(t, t, 1)``; within a stretch the skipped proposals, like the other looks,
        are a Poisson stream, so spread uniformly given the proposal's time): a planning keeps
        one list for all its calls."""
        draw_exp, poisson = self._exp, self._poisson
        day, night = self.day, self.night
        rate = day if 6.0 <= t % 24.0 < 22.0 else night
        counted = 0
        while True:
            midnight = floor(t / 24.0) * 24.0
            if t < midnight + 6.0:
                change, hour_rate = midnight + 6.0, night
            elif t < midnight + 22.0:
                change, hour_rate = midnight + 22.0, day
            else:
                change, hour_rate = midnight + 30.0, night
            stop = change if change < end else end
            if rate == hour_rate:  # a steady stretch until the rate could change
                n = 0
                if beta > 0.0:
                    wait = 1.0 / (beta * rate)
                    at = t + draw_exp() * wait
                    while skip and at < stop:
                        skip -= 1
                        n += 1
                        at += draw_exp() * wait
                else:
                    at = inf
                until = at if at < stop else stop
                n += poisson((1.0 - beta) * rate * (until - t), left - counted - n)
                if n:
                    counted += n
                    where.append((t, until, n))
                    if counted >= left:
                        return None, left
                if at < stop:
                    return at, counted
                if stop >= end:
                    return None, counted
                t = stop
            else:  # the first look of a day or a night changes the rate
                at = t + draw_exp() / rate
                if at >= stop:
                    if stop >= end:
                        return None, counted
                    t = stop
                    continue
                if self._random() < beta:
                    if not skip:
                        return at, counted
                    skip -= 1
                counted += 1
                where.append((at, at, 1))
                if counted >= left:
                    return None, left
                t, rate = at, hour_rate


class LookPlanner:
    """Plans the looks of one :class:`~offduty_simulations.model.YearModel` (see the module
    docstring).  ``thinned=False`` makes every look a proposal and skips no look as a certain
    "no" (no bound, no participation share, no fixed objections, no applicants): the reference
    the thinning must agree with in law, for tests.  ``record``: the model's record type (``cap_hit``)."""

    #: How wide a band of participants' log-odds offsets is (:meth:`participants`).
    BAND = 0.5

    def __init__(self, model, record: type, thinned: bool = True):
        self.model = model
        self.record = record  # the model's record type, for cap hits
        self.fill = model.fill
        self.stream = LookStream(model.views_rate, model.looks_draw)
        self.max_views = model.max_views
        self.thinned = thinned
        # looked up once: plan() runs after every look
        self.env = model.env
        self.answer_mode, self._fixed_objection = self.fill.answer_mode, self.fill.fixed_objection
        self.applied, self.max_applicants = self.fill.applied, model.max_applicants
        self._following = self.stream.next
        self._uniform, self._random = model.accept_draw.random, model.looks_draw.random
        self._participants: dict[int, tuple] = {}  # id(audience) -> (audience, bands, sizes, scales)
        acc = model.acc
        self.exact = thinned and not acc.always  # proposals are thinned by bounds on acceptance
        self.lead = acc.lead_time

    def participants(self, audience: tuple) -> tuple:
        """The officers of ``audience`` who might say yes, in bands of their log-odds offsets:
        ``((top offset, ((officer, offset), ...)), ...)``, each band ``BAND`` wide (one band
        of everyone at 0 with ``acceptance.always`` or unthinned).  A band's bound on
        acceptance is its top officer's, so the bound stays close to each officer's own, however
        many officers there are.  Also each band's size and ``exp(-top offset)``.  The board's
        pools are kept tuples, so this is worked out once per pool."""
        kept = self._participants.get(id(audience))
        if kept is not None and kept[0] is audience:
            return kept[1:]
        model = self.model
        if model.acc.always or not self.thinned:
            bands = ((0.0, tuple((o, 0.0) for o in audience)),) if audience else ()
        else:
            activity = model.activity
            by_band: dict[int, list] = {}
            for o in audience:
                offset = activity.get(o.badge)
                if offset is not None:
                    by_band.setdefault(math.floor(offset / self.BAND), []).append((o, offset))
            # the fullest bands first: a proposal's band is found by a scan from the first
            order = sorted(by_band, key=lambda k: (-len(by_band[k]), k))
            bands = tuple((max(x for _, x in by_band[k]), tuple(by_band[k])) for k in order)
        if len(self._participants) >= 256:  # a back-up stage's audience is a new tuple each time
            self._participants.clear()
        sizes = [len(members) for _, members in bands]
        scales = [math.exp(-top) for top, _ in bands]  # a band's bound is 1 / (1 + exp(-x) * scale)
        self._participants[id(audience)] = (audience, bands, sizes, scales)
        return bands, sizes, scales

    def log_odds_bound(self, b, t: float) -> float:
        """The highest acceptance log-odds, before the officer's offset, of a look at time
        ``t`` (:meth:`YearModel.p_ceiling <offduty_simulations.model.YearModel.p_ceiling>`
        without the offset: hours already booked only lower it when their coefficient is
        negative, and a week holds at most 168 of them)."""
        acc = self.model.acc
        x0 = b.x0 if b.x0 is not None else self.model._x0(b)
        x = x0 + acc.lead_time * math.log1p(max(0.0, b.start_h - t) / 24.0)
        return x + acc.hours_worked * 16.8 if acc.hours_worked > 0 else x

    def plan(self, rid: str, slot: int, b, token: int, state) -> None:
        """Plan the next look at the posting that might be a "yes" and schedule it (one SimPy
        event with :meth:`look` as its callback), counting the looks before it.  Looks stop
        when the posting is taken, closed, superseded by a new posting (``token``), starts,
        or has had ``max_views`` looks.

        Planned after every look, so kept short: what stands while the posting keeps its
        stage and shift (its participants' bands, the bound at the start) is kept on the
        slot (:meth:`_standing`), the standing objections by the board (on the shift, which
        the look's own ``objection`` reads too); the bound at the look, which falls as the
        start nears, is worked out here."""
        if b.looks != token:
            return
        views = b.views
        left = self.max_views - views
        now = self.env.now
        start_h = b.start_h
        if left <= 0 or now >= start_h:
            return
        posting = state.posting
        mode = self.answer_mode(posting)
        if mode is None:
            return
        applied = None
        if mode == "apply":
            # Only these looks add applicants while the posting stands, so none is added before
            # the planned look: enough of them now stops the looks (the window's close decides),
            # and one who has applied is a certain "no".
            applied = self.applied(posting)
            if len(applied) >= self.max_applicants:
                return
        kept = b.audience
        if kept is None or kept[0] is not posting or kept[1] != posting.stage or kept[2] is not posting.shift:
            kept = b.audience = self._standing(posting, b)
        _, _, _, size, bands, sizes, scales, x_slot = kept
        exact = self.exact  # else every look is a proposal (bound 1)
        if exact:
            # The bound falls as the start nears when lead time raises acceptance (else it rises).
            lead = self.lead
            scale = exp(-(x_slot + lead * log1p((start_h - now) / 24.0) if lead >= 0 else x_slot))
        else:
            scale = 0.0
        single = len(bands) == 1
        if single:
            top, members = bands[0]
            bound = 1.0 / (1.0 + scale * scales[0])
            total = sizes[0] * bound
        else:
            # Worked out afresh at every planning (the bound moves as the start nears), over
            # some eight bands: one plain loop, since a comprehension and an accumulate's
            # objects cost more than the sums themselves.
            bounds, weights, total = [], [], 0.0
            for n, s in zip(sizes, scales):
                bound = 1.0 / (1.0 + scale * s)
                bounds.append(bound)
                total += n * bound
                weights.append(total)
            last = len(weights) - 1
        beta = total / size if size else 0.0  # the share of looks that are proposals
        if beta <= 0.0:  # nobody might say yes: the looks are only counted
            b.views = views + self._following(now, start_h, 0.0, left, [])[1]
            return
        uniform, random = self._uniform, self._random
        following, fixed_objection = self._following, self._fixed_objection
        counted, skip, where = 0, 0, []  # looks before the proposal, and where they were (LookStream.next)
        t = now
        while True:
            if not single:
                w, k = random() * total, 0
                while weights[k] <= w and k < last:
                    k += 1
                (top, members), bound = bands[k], bounds[k]
            officer, offset = members[int(random() * len(members))]
            u = bound * uniform()
            if exact:
                # A certain "no" whenever it comes (u at or above the officer's ceiling over the
                # rest of the posting, a standing objection, an application already made) is
                # skipped: the stream counts it among the looks before the next proposal.  (The
                # band's top officer is under their ceiling for the rest of the posting: u < bound.)
                no = offset < top and u * (1.0 + scale * exp(-offset)) >= 1.0
                if not no:
                    no = fixed_objection(posting, officer)
                    if not no and applied is not None:
                        no = officer.badge in applied
                if no:
                    skip += 1
                    if skip < left - counted:
                        continue  # (else the stream ends at max_views before another proposal)
            t, n = following(t, start_h, beta, left - counted, where, skip)
            counted += n
            skip = 0
            if t is None:  # the start, or max_views, comes first
                b.views = views + counted
                return
            # u at or above this officer's own ceiling at t (log_odds_bound(b, t) + offset) is a
            # certain "no" (t is before the start: a proposal comes before its stream's end)
            if not exact or u * (1.0 + exp(-(x_slot + offset + lead * log1p((start_h - t) / 24.0)))) < 1.0:
                break
            counted += 1
            where.append((t, t, 1))
            if counted >= left:
                b.views = views + counted
                return
        self.env.timeout(t - now).callbacks.append(functools.partial(
            self.look, rid, slot, b, token, state, posting, officer, u, counted, where))

    def _standing(self, posting, b) -> tuple:
        """What the planning of looks at ``posting`` (slot ``b``) keeps while it keeps its stage
        and shift (:attr:`SlotBehaviour.audience <offduty_simulations.model.SlotBehaviour.audience>`):
        ``(posting, stage, shift, audience size, bands, band sizes, band scales, log-odds
        bound at the start)``, the bands as :meth:`participants` gives them, the bound as
        :meth:`log_odds_bound` (the shift's start is the slot's while the shift stands: a
        moved start is a new shift)."""
        audience = self.fill.audience(posting)
        bands, sizes, scales = self.participants(audience)
        return (posting, posting.stage, posting.shift, len(audience), bands, sizes, scales,
                self.log_odds_bound(b, b.start_h))

    def look(self, rid: str, slot: int, b, token: int, state, posting, officer, u: float, counted: int,
             where: list, _event=None) -> None:
        """A look that might be a "yes": the officer accepts if ``u`` is below their exact
        probability now, and the rules are asked whether they may; then the next look is
        planned.  ``counted``, ``where``: the looks counted before this one since the last
        planning, and where they were (:meth:`LookStream.next`)."""
        if b.looks != token:  # superseded: count the looks made before the new posting
            b.views += self._looks_before(b.restarted_at, where)
            return
        b.views += counted + 1
        fill = self.fill
        mode = fill.answer_mode(posting)
        if mode is None or state.posting is not posting:
            return  # taken or closed meanwhile (a new posting restarts the looks)
        if mode == "apply" and not self.exact and officer.badge in fill.applied(posting):
            return self.plan(rid, slot, b, token, state)  # (the thinned planner skips applicants)
        model = self.model
        # The officer decides first; the rules then say whether they may (a cap hit is an
        # officer who wanted the shift and was over a cap).
        if u < model.p_accept(b, officer.badge, posting.shift.start):
            rule = fill.objection(posting, officer)
            now = self.env.now
            if rule is None:
                model._handle(fill.respond(now, rid, slot, officer.badge))
                if mode == "accept":
                    return  # taken (a new posting of the slot restarts the looks)
            elif rule in F.CAP_RULES:
                model.emit(self.record(now, "cap_hit", rid, slot, officer.badge, note=rule))
        self.plan(rid, slot, b, token, state)

    def _looks_before(self, when: float, where: list) -> int:
        """How many of the looks counted before a proposal came before ``when``: single looks
        by their times, a stretch's looks (a Poisson stream at a steady rate, so spread
        uniformly over it) by a binomial draw."""
        early = 0
        random = self.model.looks_draw.random
        for a, b, n in where:
            if b < when:
                early += n
            elif a < when:
                share = (when - a) / (b - a)
                early += sum(1 for _ in range(n) if random() < share)
        return early
