"""The look planner's pieces: the stream of looks drawn a proposal at a time, capped Poisson counts, and
looks counted rather than drawn still stopping at ``max_views``."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis import strategies as st

from offduty_core import default_registry
from offduty_simulations import demand
from offduty_simulations.looks import LookPlanner, LookStream
from offduty_simulations.model import Draws, Record, SlotBehaviour, YearModel, scenario_rules
from offduty_simulations.scenario import Acceptance, from_dict
from sim_helpers import small


def _looks_one_by_one(t: float, end: float, per_hour: float, g: np.random.Generator) -> int:
    """The model's stream drawn look by look: each wait at the rate of the hour it starts at."""
    n = 0
    while True:
        t += g.exponential(1.0 / (per_hour * (1.0 if 6 <= int(t % 24.0) < 22 else 0.25)))
        if t >= end:
            return n
        n += 1


def _looks_by_proposals(t: float, end: float, per_hour: float, beta: float, seed: int,
                        skip: int = 0) -> tuple[int, int]:
    """The same stream through LookStream: (proposals, looks counted between them), each
    call skipping ``skip`` proposals (counted as looks)."""
    stream = LookStream(per_hour, Draws(np.random.default_rng(seed)))
    proposals = counted = 0
    while True:
        where = []
        t, n = stream.next(t, end, beta, 10**9, where, skip)
        assert sum(c for _, _, c in where) == n
        counted += n
        if t is None:
            return proposals, counted
        proposals += 1


@pytest.mark.parametrize("start", [3.0, 7.5, 21.75, 23.0])
@pytest.mark.parametrize("beta,skip", [(1.0, 0), (0.3, 0), (0.02, 0), (1.0, 2), (0.3, 2), (0.6, 5)])
def test_drawing_proposals_counts_the_looks_as_drawing_each_look_does(start, beta, skip):
    # Over a day and a half from several hours of the day, the looks (proposals and the
    # looks counted between them) have the mean and the share of proposals they have when
    # every look is drawn.  (Taking the rate of the hour at each look instead of at the look
    # before, a Poisson stream at the hourly rate, shifts the mean by 2 to 5 here.)  Skipping
    # proposals counts them as looks: every (skip + 1)-th proposal is returned.
    g = np.random.default_rng(11)
    span, per_hour, reps = 36.0, 1.5, 3000
    direct = [_looks_one_by_one(start, start + span, per_hour, g) for _ in range(reps)]
    thinned = [_looks_by_proposals(start, start + span, per_hour, beta, seed, skip) for seed in range(reps)]
    total = [p + c for p, c in thinned]
    mean = sum(direct) / reps
    sd = math.sqrt(statistics.pvariance(direct) / reps + statistics.pvariance(total) / reps)
    assert abs(sum(total) / reps - mean) < 4 * sd, (sum(total) / reps, mean)
    if skip == 0:
        share = sum(p for p, _ in thinned) / sum(total)
        assert abs(share - beta) < 4 * math.sqrt(beta * (1 - beta) / sum(total)) + 1e-12, share
    else:  # as many as every (skip + 1)-th proposal of the stream that skips none
        every = [_looks_by_proposals(start, start + span, per_hour, beta, seed)[0] // (skip + 1)
                 for seed in range(reps, 2 * reps)]
        returned = [p for p, _ in thinned]
        sd = math.sqrt(statistics.pvariance(every) / reps + statistics.pvariance(returned) / reps)
        assert abs(sum(returned) / reps - sum(every) / reps) < 4 * sd + 1e-12, (sum(returned), sum(every))


def test_counting_stops_at_the_looks_left():
    stream = LookStream(1.5, Draws(np.random.default_rng(3)))
    where = []
    t, n = stream.next(0.0, 24.0 * 30, 0.0, 40, where)
    assert t is None and n == 40 and sum(c for _, _, c in where) == 40
    assert all(a <= b for a, b, _ in where)


def test_poisson_counts_have_their_mean_and_respect_the_cap():
    draws = Draws(np.random.default_rng(5))
    for mean in (0.3, 2.5, 12.0, 80.0):
        xs = [draws.poisson(mean, 10_000) for _ in range(20_000)]
        assert abs(sum(xs) / len(xs) - mean) < 4 * math.sqrt(mean / len(xs)) + 1e-9, mean
    assert max(draws.poisson(50.0, 7) for _ in range(100)) == 7
    assert draws.poisson(0.0, 5) == 0 and draws.poisson(3.0, 0) == 0


class _Kept(dict):
    """The model's slots, remembered after their jobs settle (the model drops them then)."""

    def __init__(self):
        super().__init__()
        self.settled = []

    def pop(self, key, default=None):
        value = super().pop(key, default)
        if value is not None:
            self.settled.append(value)
        return value

    def every(self) -> list:
        return self.settled + list(self.values())


def _model(data: dict, seed: int = 1) -> YearModel:
    scenario = from_dict(data)
    rules = scenario_rules(scenario, default_registry().rules(scenario.agency.name))
    rng = demand.streams(seed)
    return YearModel(scenario, rules, rng, demand.generate(scenario, rules, rng, price=1.0))


_MODEL = _model(small(days=2, officers=3), 0)


def test_nobody_who_works_means_looks_are_counted_up_to_max_views():
    # No officer takes part: no look can be a "yes", so none is drawn, yet long-open postings
    # still reach max_views, and no posting passes it.
    data = small(days=14, officers=10)
    data["officers"].update(participation=0.0, max_views=25)
    model = _model(data)
    model.slots = _Kept()
    model.run()
    views = [b.views for b in model.slots.every()]
    assert not model.tally.caps
    assert views and max(views) == 25


def _mean_views(officers: dict, thinned: bool, patch=None) -> float:
    """Mean views per slot over four seeds of a small first-come year with no changes and no
    cap on views (``officers``: the scenario's officers fields to set; ``patch(model)`` is
    run before the year)."""
    totals = []
    for seed in range(4):
        data = small(days=21, officers=8)
        data["officers"].update(max_views=100_000, **officers)
        data["changes"] = {}
        data["distribution"] = {"method": "immediate-release"}
        model = _model(data, seed)
        if patch is not None:
            patch(model)
        model.looks = LookPlanner(model, Record, thinned=thinned)
        model.slots = _Kept()
        model.run()
        views = [b.views for b in model.slots.every()]
        totals.append(sum(views) / len(views))
    return sum(totals) / len(totals)


def test_the_thinned_and_unthinned_planners_count_looks_alike():
    # Counting looks in bulk (thinned) and one by one (every look an event) give the same
    # mean views per slot that never fills (posted first come, first served, and left open
    # until the start: no changes, no windows).
    officers = {"participation": 0.0}
    a, b = _mean_views(officers, thinned=True), _mean_views(officers, thinned=False)
    assert abs(a - b) < 0.1 * max(a, b), (a, b)


def test_skipping_certain_refusals_counts_the_looks_as_waking_for_each_does():
    # Every officer is refused for a standing reason: the thinned planner skips every proposal
    # (counted among the looks by the stream), the unthinned one wakes for every look and the
    # rules say no.  The mean views per slot agree.  (Skipped proposals not counted as looks
    # would leave the thinned mean at 1 - beta of the other.)
    def refuse_all(model) -> None:
        model.fill.fixed_objection = lambda posting, officer: True
        model.fill.objection = lambda posting, officer: "on-duty"

    officers = {"participation": 1.0, "activity_sigma": 0.0, "acceptance": {"base": 1.0}}
    a, b = (_mean_views(officers, thinned=True, patch=refuse_all),
            _mean_views(officers, thinned=False, patch=refuse_all))
    assert abs(a - b) < 0.1 * max(a, b), (a, b)


def test_no_look_is_drawn_for_an_applicant_or_a_full_sign_up_window():
    # Only looks add applicants while a posting stands, so the thinned planner treats an
    # officer who has applied as a certain "no" and stops once max_applicants have applied:
    # no look event finds either (the unthinned reference does meet both).
    def looks_met(thinned: bool) -> dict:
        data = small(days=21, officers=12)
        data["officers"].update(participation=1.0, activity_sigma=0.0, max_applicants=2)
        data["changes"] = {}
        data["distribution"] = {"method": "seniority", "params": {"window_hours": 72}}
        model = _model(data, 3)
        planner = model.looks = LookPlanner(model, Record, thinned=thinned)
        met = {"applied": 0, "full": 0, "looks": 0}
        look = planner.look

        def counting(rid, slot, b, token, state, posting, officer, *rest):
            if b.looks == token and state.posting is posting and model.fill.answer_mode(posting) == "apply":
                met["looks"] += 1
                met["applied"] += officer.badge in posting.applicants
                met["full"] += len(posting.applicants) >= model.max_applicants
            return look(rid, slot, b, token, state, posting, officer, *rest)

        planner.look = counting
        model.run()
        return met

    thinned, reference = looks_met(True), looks_met(False)
    assert thinned["looks"] > 50 and thinned["applied"] == thinned["full"] == 0, thinned
    assert reference["applied"] > 0, reference


@settings(max_examples=300, deadline=None)
@given(pay=st.floats(20, 200), night=st.booleans(), weekend=st.booleans(), lead_h=st.floats(-5, 24 * 60),
       ahead_h=st.floats(0, 24 * 30), booked_h=st.floats(0, 168), offset=st.floats(-3, 3),
       base=st.floats(-4, 4), lead_time=st.floats(-2, 2), hours_worked=st.floats(-3, 3))
def test_an_officers_ceiling_is_never_below_their_acceptance(pay, night, weekend, lead_h, ahead_h, booked_h, offset,
                                                             base, lead_time, hours_worked):
    # A proposal whose draw is at or above the officer's own ceiling is counted as a "no", so
    # the ceiling must bound the officer's exact probability at the look, whatever is booked.
    model = _MODEL
    model.acc = Acceptance(base=base, lead_time=lead_time, hours_worked=hours_worked)
    model.activity = {"100": offset}
    b = SlotBehaviour(start_h=ahead_h + lead_h, end_h=ahead_h + lead_h + 4, pay=pay, night=night, weekend=weekend)
    b.week = 0
    model.fill.hours_in_week = lambda badge, week: booked_h
    model.env._now = ahead_h
    x = model.looks.log_odds_bound(b, ahead_h) + offset
    assert 1.0 / (1.0 + math.exp(-x)) >= model.p_accept(b, "100", None) - 1e-12
