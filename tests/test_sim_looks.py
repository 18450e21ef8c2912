"""The look planner's pieces: the day/night rate and its inverse, capped Poisson counts, and
looks counted rather than drawn still stopping at ``max_views``."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from offduty_core import default_registry
from offduty_simulations import demand
from offduty_simulations.looks import LookPlanner, LookRate
from offduty_simulations.model import Draws, Record, YearModel, scenario_rules
from offduty_simulations.scenario import from_dict
from sim_helpers import small


@settings(max_examples=300, deadline=None)
@given(per_hour=st.floats(0.01, 100), t=st.floats(-24 * 30, 24 * 400))
def test_the_rate_integral_and_its_inverse_agree(per_hour, t):
    rate = LookRate(per_hour)
    assert math.isclose(rate.inverse(rate.integral(t)), t, rel_tol=1e-9, abs_tol=1e-6)


def test_the_rate_is_a_quarter_at_night():
    rate = LookRate(2.0)
    assert math.isclose(rate.integral(24.0), 16 * 2.0 + 8 * 0.5)
    assert math.isclose(rate.integral(5.0) - rate.integral(4.0), 0.5)  # 04:00-05:00
    assert math.isclose(rate.integral(13.0) - rate.integral(12.0), 2.0)
    assert math.isclose(rate.integral(23.0) - rate.integral(22.0), 0.5)
    assert math.isclose(rate.integral(24.0 + 7.0) - rate.integral(7.0), rate.integral(24.0))


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


def test_nobody_who_works_means_looks_are_counted_up_to_max_views():
    # No officer takes part: no look can be a "yes", so none is drawn, yet long-open postings
    # still reach max_views, and no posting passes it.
    data = small(days=14, officers=10)
    data["officers"].update(participation=0.0, max_views=25)
    model = _model(data)
    model.slots = _Kept()
    model.run()
    views = [b.views for b in model.slots.every()]
    assert not model.records or all(r.kind != "cap_hit" for r in model.records)
    assert views and max(views) == 25


def test_the_thinned_and_unthinned_planners_count_looks_alike():
    # Counting looks in bulk (thinned) and one by one (every look an event) give the same
    # mean views per slot that never fills (posted first come, first served, and left open
    # until the start: no changes, no windows).
    def mean_views(thinned: bool) -> float:
        totals = []
        for seed in range(4):
            data = small(days=21, officers=8)
            data["officers"].update(participation=0.0, max_views=100_000)
            data["changes"] = {}
            data["distribution"] = {"method": "immediate-release"}
            model = _model(data, seed)
            model.looks = LookPlanner(model, Record, thinned=thinned)
            model.slots = _Kept()
            model.run()
            views = [b.views for b in model.slots.every()]
            totals.append(sum(views) / len(views))
        return sum(totals) / len(totals)

    a, b = mean_views(True), mean_views(False)
    assert abs(a - b) < 0.1 * max(a, b), (a, b)
