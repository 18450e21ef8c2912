"""Participation: not every approved officer works off-duty, and those who do are unequal."""

from __future__ import annotations

import numpy as np
import pytest

from offduty_simulations.model import draw_activity
from offduty_simulations.runner import replicate
from sim_helpers import small_scenario


def run(seed: int = 1, **officers):
    scenario = small_scenario(days=28, officers=40).with_overrides(
        {f"officers.{k}": v for k, v in officers.items() if k != "acceptance"}
        | {f"officers.acceptance.{k}": v for k, v in officers.get("acceptance", {}).items()})
    return replicate(scenario, seed)


def test_draws_keep_the_share_and_each_officers_draw():
    badges = [str(i) for i in range(20_000)]
    some = draw_activity(0.43, 1.0, badges, np.random.default_rng(5))
    assert len(some) / len(badges) == pytest.approx(0.43, abs=0.015)
    assert np.std(list(some.values())) == pytest.approx(1.0, abs=0.03)
    # A wider participation keeps every officer who took part before, with the same offset.
    more = draw_activity(0.6, 1.0, badges, np.random.default_rng(5))
    assert all(more[b] == x for b, x in some.items())
    assert draw_activity(0.0, 1.0, badges, np.random.default_rng(5)) == {}


def test_officers_who_never_work_take_no_shift():
    nobody = run(participation=0.0)
    assert nobody.summary["shifts"]["filled"] == 0
    assert float(nobody.officers["hours"].sum()) == 0.0
    everyone = run(participation=1.0, activity_sigma=0.0)
    half = run(participation=0.5, activity_sigma=0.0)
    worked = lambda out: int((out.officers["hours"] > 0).sum())  # noqa: E731
    assert worked(half) < worked(everyone) and worked(half) <= 40 * 0.5 + 8
    assert half.summary["fill_rate"] < everyone.summary["fill_rate"]


def test_a_wider_activity_spread_concentrates_the_hours():
    even = run(participation=1.0, activity_sigma=0.0)
    spread = run(participation=1.0, activity_sigma=2.0)
    assert spread.summary["officers"]["gini_hours"] > even.summary["officers"]["gini_hours"] + 0.1


def test_officers_who_seldom_accept_now_leave_shifts_unfilled():
    keen = run()
    reluctant = run(acceptance={"base": -2.6})  # about 7 % of what they see
    assert reluctant.summary["fill_rate"] < keen.summary["fill_rate"] - 0.1


def test_theory_mode_ignores_participation():
    always = run(participation=0.0, acceptance={"always": True})
    assert always.summary["shifts"]["filled"] > 0
