"""The simulator against queueing theory: Erlang's loss formula.

With Poisson arrivals of rate lambda, zero lead time (a request arrives one minute before its
start: the job board treats a shift posted at its very start as unfilled), one
officer per request, ``c`` officers always available (no on-duty time) who always accept at
once, no hour caps and no rest rule, a shift is filled exactly when an officer is free at its
start: an M/G/c/c loss system.  Its blocking probability is Erlang-B(c, a) with offered load
a = lambda / mu, *whatever the distribution of durations* with mean 1/mu (insensitivity),
so the fill rate is 1 - Erlang-B(c, a).

:func:`theory_scenario` builds that configuration as an ordinary scenario, run by the same
model, eligibility and billing as any other (only the parameters differ);
:func:`check` runs replications and compares.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .scenario import Scenario, from_dict


def erlang_b(c: int, a: float) -> float:
    """Erlang's loss formula B(c, a), by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    if c < 0 or a < 0:
        raise ValueError("c and a must be >= 0")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def theory_scenario(c: int, a: float, mean_hours: float = 2.0, duration: str = "exponential", days: int = 60,
                    agency: str = "chandler-az") -> Scenario:
    """Erlang's M/G/c/c configuration: ``c`` officers, offered load ``a`` Erlangs, durations
    of mean ``mean_hours`` (``exponential``, ``deterministic`` or ``lognormal``)."""
    rate_per_hour = a / mean_hours
    dist: Any = {"exponential": {"mean": mean_hours}, "deterministic": mean_hours,
                 "lognormal": {"median": mean_hours / math.exp(0.5 ** 2 / 2), "sigma": 0.5}}[duration]
    flat24 = [1.0] * 24
    return from_dict({
        "name": f"erlang c={c} a={a} {duration}",
        "agency": {"name": agency, "days": days},
        "officers": {"count": c, "schedules": {"none": 1.0}, "supervisor_share": 0.0, "sso_share": 0.0,
                     "instant": True, "acceptance": {"always": True}},
        "demand": {"elasticity": 0.0, "month": [1.0] * 12, "weekday": [1.0] * 7, "hour": flat24,
                   "start_minute_step": 1,
                   "categories": {"security": {"vendors": 1, "requests_per_week": rate_per_hour * 168,
                                               "lead_time_days": 1 / 1440, "duration_hours": dist, "officers": 1,
                                               "vehicle_share": 0.0}}},
        "changes": {"cancel_rate": 0.0, "reduce_rate": 0.0, "start_change_rate": 0.0, "early_release_rate": 0.0,
                    "drop_rate": 0.0, "no_show_rate": 0.0},
        "payment": {"default_rate": 0.0},
        "fees": {"no_caps": True},
    })


def check(c: int, a: float, duration: str = "exponential", replications: int = 8, seed: int = 2027,
          days: int = 60, mean_hours: float = 2.0, level: float = 0.95) -> dict:
    """Run ``replications`` years (of ``days``) and compare the fill rate with 1 - B(c, a)."""
    from scipy import stats

    from .runner import replicate

    scenario = theory_scenario(c, a, mean_hours, duration, days)
    rates, balanced = [], []
    for child in np.random.SeedSequence(seed).spawn(replications):
        out = replicate(scenario, child)
        rates.append(out.summary["fill_rate"])
        balanced.append(out.summary["ledger"]["balanced"])
    x = np.asarray(rates)
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, replications - 1) * sd / math.sqrt(replications))
    theory = 1.0 - erlang_b(c, a)
    return {"c": c, "a": a, "duration": duration, "theory": theory, "mean": mean, "ci_low": mean - half,
            "ci_high": mean + half, "rates": rates, "inside": mean - half <= theory <= mean + half,
            "ledgers_balanced": all(balanced)}
