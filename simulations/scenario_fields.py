"""The building blocks of a scenario's fields: the errors a bad value or key raises,
documented fields, distributions (log-normal, discrete choice, exponential) and the validators
the sections share.  :mod:`offduty_simulations.scenario_sections` builds the sections from
them; :mod:`offduty_simulations.scenario` holds the whole :class:`Scenario`, loads it and
re-exports every public name.
"""

from __future__ import annotations

import difflib
import math
from datetime import date
from typing import Any, Mapping

import attrs

from offduty_core.errors import InputError


class ScenarioError(InputError):
    """A scenario key or value is wrong (names the dotted key and what is allowed)."""


class UnknownKey(ScenarioError):
    """A key the scenario does not know (a misspelling, usually): names it and the closest key."""

    def __init__(self, key: str, suggestion: str | None, known: list[str]):
        hint = f"did you mean {suggestion!r}?" if suggestion else f"known keys here: {', '.join(known)}"
        super().__init__(key, key, hint)
        self.suggestion = suggestion
        self.known = known
        Exception.__init__(self, f"scenario: unknown key {key!r}; {hint}")


def doc(text: str, **kw: Any) -> Any:
    """An attrs field with a documentation string (shown by :func:`describe`)."""
    metadata = {"doc": text}
    if "nested" in kw:
        metadata["nested"] = kw.pop("nested")
    if "mapping_of" in kw:
        metadata["mapping_of"] = kw.pop("mapping_of")
    if "list_of" in kw:
        metadata["list_of"] = kw.pop("list_of")
    return attrs.field(metadata=metadata, **kw)


def _check_keys(data: Mapping[str, Any], known, path: str) -> None:
    known = list(known)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            prefix = f"{path}." if path else ""
            raise UnknownKey(f"{prefix}{key}", f"{prefix}{close[0]}" if close else None, known) from None


# --- distributions -------------------------------------------------------------------------


#: The largest log-sd of a log-normal.
MAX_SIGMA = 5.0


def _positive_mean(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not 0 < value <= 1e9:
        raise ScenarioError("mean", value, "must be > 0 and at most 1e9")


@attrs.frozen(kw_only=True)
class LogNormal:
    """A log-normal with the given median and log-sd, clipped to [min, max]."""

    median: float = doc("the median (half the draws are below it)", default=1.0)
    sigma: float = doc("standard deviation of the log (0: always the median)", default=0.5)
    min: float = doc("draws below are clipped up to this", default=0.0)
    max: float = doc("draws above are clipped down to this", default=float("inf"))

    def __attrs_post_init__(self) -> None:
        if not 0 < self.median <= 1e9:
            raise ScenarioError("median", self.median, "must be > 0 and at most 1e9")
        if not 0 <= self.sigma <= MAX_SIGMA:
            raise ScenarioError("sigma", self.sigma, f"must be from 0 to {MAX_SIGMA:g} (a log-sd; 3 already "
                                                     "spreads draws over a factor of 20 either way)")
        if not (math.isfinite(self.min) and (math.isfinite(self.max) or self.max == float("inf"))):
            raise ScenarioError("min", self.min, "min and max must be finite numbers")
        if self.min > self.max:
            raise ScenarioError("min", self.min, f"must not exceed max ({self.max})")

    def draw(self, rng, size=None):
        """``size`` draws as an array, or one float when ``size`` is None (in plain floats: a
        numpy ufunc on a single number costs several times the arithmetic)."""
        if size is None:
            return min(max(self.median * math.exp(self.sigma * rng.standard_normal()), self.min), self.max)
        import numpy as np

        x = self.median * np.exp(self.sigma * rng.standard_normal(size))
        return np.clip(x, self.min, self.max)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma ** 2 / 2)


@attrs.frozen(kw_only=True)
class Choice:
    """A discrete distribution: ``values`` drawn with probabilities proportional to ``weights``."""

    values: tuple[float, ...] = doc("the possible values", default=(1.0,), converter=tuple)
    weights: tuple[float, ...] = doc("relative weights, one per value (default: equal)", default=(),
                                     converter=tuple)

    def __attrs_post_init__(self) -> None:
        if not self.values:
            raise ScenarioError("values", list(self.values), "give at least one value")
        if self.weights and len(self.weights) != len(self.values):
            raise ScenarioError("weights", list(self.weights), f"give one weight per value ({len(self.values)})")
        if any(not 0 <= w <= 1e9 for w in self.weights) or (self.weights and sum(self.weights) <= 0):
            raise ScenarioError("weights", list(self.weights), "weights must be from 0 to 1e9 and not all 0")
        if not all(math.isfinite(v) and abs(v) <= 1e9 for v in self.values):
            raise ScenarioError("values", list(self.values), "values must be finite numbers of at most 1e9")

    @property
    def p(self):
        import numpy as np

        w = np.asarray(self.weights or [1.0] * len(self.values), dtype=float)
        return w / w.sum()

    def draw(self, rng, size=None):
        import numpy as np

        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self.p)

    @property
    def mean(self) -> float:
        return float(sum(v * p for v, p in zip(self.values, self.p)))


@attrs.frozen(kw_only=True)
class Exponential:
    """An exponential distribution with the given mean (memoryless durations, theory checks)."""

    mean: float = doc("the mean", default=1.0, validator=_positive_mean)

    def draw(self, rng, size=None):
        return rng.exponential(self.mean, size)


def _dist(value: Any) -> LogNormal | Choice | Exponential:
    if isinstance(value, (LogNormal, Choice, Exponential)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Choice(values=(float(value),))
    if isinstance(value, Mapping):
        keys = set(value)
        if "values" in keys:
            _check_keys(value, ("values", "weights"), "")
            return Choice(values=tuple(float(v) for v in value["values"]),
                          weights=tuple(float(w) for w in value.get("weights", ())))
        if keys == {"mean"}:
            return Exponential(mean=float(value["mean"]))
        if "median" in keys:
            _check_keys(value, ("median", "sigma", "min", "max"), "")
            return LogNormal(**{k: float(v) for k, v in value.items()})
    raise ScenarioError("distribution", value,
                        "give { median = .., sigma = .. } (log-normal), { mean = .. } (exponential) "
                        "or { values = [..], weights = [..] }")


def dist_field(text: str, default: Any, validator: Any = None) -> Any:
    return doc(text + " (a distribution)", default=default, converter=_dist, validator=validator)


# --- validators ----------------------------------------------------------------------------


def _fraction(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not 0 <= value <= 1:
        raise ScenarioError(attribute.name, value, "must be a fraction between 0 and 1")


def _positive(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not value > 0:
        raise ScenarioError(attribute.name, value, "must be > 0")


def _whole_minutes(instance: object, attribute: attrs.Attribute, value: float) -> None:
    """Scheduled hours of a standing post or a school shift are whole minutes (one-off jobs'
    durations are rounded to minutes where they are drawn); a shift ending at a fraction of a
    second made the simulator wake at the same instant for ever."""
    if abs(value * 60 - round(value * 60)) > 1e-6:
        raise ScenarioError(attribute.name, value, f"give whole minutes, e.g. {round(value * 60) / 60:g} "
                                                   f"({round(value * 60)} minutes)")


def _non_negative(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if value is not None and value < 0:
        raise ScenarioError(attribute.name, value, "must be >= 0")


def _at_least(low: int):
    def check(instance: object, attribute: attrs.Attribute, value: int) -> None:
        if value < low:
            raise ScenarioError(attribute.name, value, f"must be >= {low}")

    return check


def _year(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if not 1900 <= value <= 2200:
        raise ScenarioError(attribute.name, value, "must be a calendar year from 1900 to 2200")


def _weekdays(instance: object, attribute: attrs.Attribute, value) -> None:
    for day in value:
        if not 0 <= day <= 6:
            raise ScenarioError(attribute.name, list(value), "weekdays are 0 (Monday) to 6 (Sunday)")


def _hhmm(instance: object, attribute: attrs.Attribute, value: str) -> None:
    h, sep, m = value.partition(":")
    if not (sep and h.isdigit() and m.isdigit() and len(m) == 2 and int(h) < 24 and int(m) < 60):
        raise ScenarioError(attribute.name, value, "give a local time HH:MM from 00:00 to 23:59")


def _ordered_pairs(instance: object, attribute: attrs.Attribute, value) -> None:
    for first, last in value:
        if first is None or last is None or first > last:
            raise ScenarioError(attribute.name, [str(first), str(last)],
                                "give [first day, last day] with the first day not after the last")


#: The longest lead time or payment delay in days (ten years): far longer ones overflow the calendar.
MAX_DAYS = 3660


def _at_most(high: float):
    def check(instance: object, attribute: attrs.Attribute, value: float) -> None:
        if value is not None and value > high:
            raise ScenarioError(attribute.name, value, f"must be <= {high:g}")

    return check


def _lead_days(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not 0 <= value <= MAX_DAYS:
        raise ScenarioError(attribute.name, value, f"must be from 0 to {MAX_DAYS} days")


def _support(ok, text: str, unbounded: bool = False):
    """A distribution's values must satisfy ``ok`` (a choice's every value; a log-normal's
    max, its draws being > 0 already, unless it has none and ``unbounded``; an exponential is
    unbounded above)."""
    def check(instance: object, attribute: attrs.Attribute, value) -> None:
        if isinstance(value, Choice):
            bad = [v for v in value.values if not ok(v)]
        elif isinstance(value, LogNormal):
            bad = [] if ok(value.max) or (unbounded and value.max == float("inf")) else [value.max]
        else:
            bad = [] if ok(float("inf")) else ["unbounded (exponential)"]
        if bad:
            raise ScenarioError(attribute.name, bad[0], text)

    return check


#: A lead time or payment delay: 0 to MAX_DAYS days (a log-normal may leave max unset: its draws
#: beyond MAX_DAYS are clipped to it where they are made).
_within_days = _support(lambda v: 0 <= v <= MAX_DAYS, f"must be from 0 to {MAX_DAYS} days", unbounded=True)


def _iso_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError("date", value, "give an ISO date such as '2027-01-01'") from None


def _profile(n: int, name: str):
    def convert(value: Any) -> tuple[float, ...]:
        values = tuple(float(v) for v in value)
        if len(values) != n or any(not 0 <= v <= 1e6 for v in values) or sum(values) <= 0:
            raise ScenarioError(name, list(value), f"give {n} factors from 0 to 1e6, not all 0")
        return values

    return convert
