"""The range of every number a scenario gives that sizes the simulation's work or feeds an
exponent: counts, rates, shift hours, log-odds, distribution spreads.

A value outside its range is refused when the scenario is loaded, naming its dotted key and
the range (``officers.count: 9223372036854775807 is not allowed; must be from 0 to
100000``), instead of overflowing or running for hours in ``simulate``.  Keys use ``NAME``
for a table's name and ``[]`` for a list's items, as ``offduty scenario`` lists them;
``docs/limits.md`` shows this table.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from offduty_core.limits import MAX_POSITIONS, MAX_SHIFT_HOURS

#: The most officers a generated roster (own or back-up agencies) may hold.
MAX_OFFICERS = 100_000
#: One-off requests a week in one category (the large benchmark year has about 2,000).
MAX_REQUESTS_PER_WEEK = 5_000
LOG_ODDS = (-50.0, 50.0)  # exp(50) is already a certainty
FACTOR = (0.0, 1e6)  # seasonality factors and choice weights are relative

RANGES: dict[str, tuple[float, float]] = {
    "officers.count": (0, MAX_OFFICERS),
    "officers.backup_agencies.NAME": (0, MAX_OFFICERS),
    "officers.views_per_hour": (0, 1_000),
    "officers.max_views": (0, 100_000),
    "officers.max_applicants": (1, 10_000),
    "officers.response_minutes": (0, 7 * 24 * 60),
    "officers.acceptance.base": LOG_ODDS,
    "officers.acceptance.pay": LOG_ODDS,
    "officers.acceptance.night": LOG_ODDS,
    "officers.acceptance.weekend": LOG_ODDS,
    "officers.acceptance.lead_time": LOG_ODDS,
    "officers.acceptance.hours_worked": LOG_ODDS,
    "officers.acceptance.reference_pay": (0, 100_000),
    "demand.elasticity": (-10, 10),
    "demand.month": FACTOR,
    "demand.weekday": FACTOR,
    "demand.hour": FACTOR,
    "demand.categories.NAME.vendors": (1, 100_000),
    "demand.categories.NAME.requests_per_week": (0, MAX_REQUESTS_PER_WEEK),
    "demand.categories.NAME.duration_hours": (0, MAX_SHIFT_HOURS),
    "demand.categories.NAME.officers": (1, MAX_POSITIONS),
    "demand.categories.NAME.hour": FACTOR,
    "demand.standing[].hours": (0, MAX_SHIFT_HOURS),
    "demand.standing[].officers": (1, MAX_POSITIONS),
    "demand.school.schools": (0, 10_000),
    "demand.school.officers_per_school": (1, MAX_POSITIONS),
    "demand.school.hours": (0, MAX_SHIFT_HOURS),
    "demand.events.per_year": (0, 100),
    "demand.events.days": (1, 14),
    "demand.events.officers": (1, MAX_POSITIONS),
    "demand.events.hours": (0, MAX_SHIFT_HOURS),
    "demand.events.vendors": (1, 100_000),
    "changes.start_change_hours": (-MAX_SHIFT_HOURS, MAX_SHIFT_HOURS),
    "fees.daily_cap": (0, 24),
    "fees.weekly_cap": (0, 168),
    "fees.monthly_cap": (0, 744),
    "fees.min_rest_hours": (0, 168),
    "distribution.categories.NAME.release_after_hours": (0, 3660 * 24),
    "distribution.categories.NAME.release_before_start_hours": (0, 3660 * 24),
}


def check(pattern: str, key: str, value: Any, refuse: Callable[[str, Any, str], Exception]) -> Any:
    """``value`` if it lies in ``pattern``'s range (a log-normal with no ``max`` gets the
    range's top as its max), else ``refuse(key, value, allowed)`` is raised.  Numbers,
    lists of numbers, tables of numbers and distributions are checked item by item."""
    bounds = RANGES.get(pattern)
    if bounds is None:
        return value
    low, high = bounds
    allowed = f"must be from {low:g} to {high:g} (docs/limits.md)"

    def ok(x: Any) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and low <= x <= high

    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if not ok(value):
            raise refuse(key, value, allowed)
        return value
    if isinstance(value, (list, tuple)):
        for i, x in enumerate(value):
            if not ok(x):
                raise refuse(f"{key}[{i}]", x, allowed)
        return value
    if isinstance(value, Mapping):
        for name, x in value.items():
            if not ok(x):
                raise refuse(f"{key}.{name}", x, allowed)
        return value
    if hasattr(value, "values"):  # a discrete choice
        for i, x in enumerate(value.values):
            if not ok(x):
                raise refuse(f"{key}.values[{i}]", x, allowed)
        return value
    if hasattr(value, "median"):  # a log-normal, clipped to [min, max]
        import attrs

        if not ok(value.median):
            raise refuse(f"{key}.median", value.median, allowed)
        if math.isinf(value.max):
            return attrs.evolve(value, max=float(high), min=max(value.min, float(low)))
        if not ok(value.max):
            raise refuse(f"{key}.max", value.max, allowed)
        return value
    if hasattr(value, "mean") and not ok(value.mean):  # an exponential
        raise refuse(f"{key}.mean", value.mean, allowed)
    return value
