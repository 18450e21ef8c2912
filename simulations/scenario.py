"""A simulation scenario: validated, frozen parameters loaded from TOML.

A scenario is the *Param* of Param -> Model -> Runner -> DataFrame.  Every section is a
frozen attrs class; every field has a default and a ``doc`` (``offduty_simulations.scenario
.describe()`` prints them all).  Loading refuses a key the scenario does not know, naming it
with its full dotted path and the closest known key::

    scenario: unknown key 'demand.categories.security.lead_tme_days'; did you mean 'lead_time_days'?

Distributions are small tables:

* ``{ median = 7, sigma = 1.0 }`` (optionally ``min``/``max``) is a log-normal (lead times,
  days to pay), clipped to ``[min, max]``.
* ``{ values = [4, 6, 8], weights = [2, 3, 5] }`` is a discrete choice (durations, officers
  per request); weights need not sum to 1.  A bare number is that value always.
* ``{ mean = 2.0 }`` is an exponential.

Times are hours (floats) unless a field's name says otherwise; dates are ISO strings.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Mapping

import attrs

from offduty_core.errors import InputError

from . import ranges

#: Schedules a generated roster may use (see :mod:`offduty_simulations.fill`).
SCHEDULES = ("5x8", "4x10", "pitman", "none")
#: Distribution methods (issue 3's plugins in ``plugins/distribution``).
METHODS = ("immediate-release", "seniority", "sequencing", "bidding", "fairness")
PAYMENT_METHODS = ("card", "ach", "check")

MONTH_DEFAULT = (0.85, 0.85, 0.95, 1.0, 1.1, 1.15, 1.15, 1.1, 1.0, 1.0, 0.95, 0.9)
WEEKDAY_DEFAULT = (0.9, 0.9, 0.95, 1.0, 1.15, 1.2, 0.9)  # Monday first
HOUR_DEFAULT = (0.3, 0.2, 0.1, 0.1, 0.2, 0.6, 1.2, 1.6, 1.6, 1.3, 1.1, 1.0,
                1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.4, 1.0, 0.7, 0.5, 0.4)


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


# --- sections ------------------------------------------------------------------------------


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


@attrs.frozen(kw_only=True)
class AgencySection:
    name: str = doc("the agency plugin's name (see `offduty agencies`)", default="chandler-az")
    year: int = doc("the simulated calendar year", default=2027, validator=_year)
    start: date | None = doc("first simulated day (default: 1 January of `year`)", default=None,
                             converter=_iso_date)
    days: int = doc("how many days are simulated (shifts starting in them)", default=365)

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.days <= 731:
            raise ScenarioError("agency.days", self.days, "must be 1 to 731")
        if self.start is not None and not 1900 <= self.start.year <= 2200:
            raise ScenarioError("agency.start", self.start.isoformat(), "must be a day in the years 1900 to 2200")

    @property
    def first_day(self) -> date:
        return self.start or date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)


@attrs.frozen(kw_only=True)
class Acceptance:
    """Logistic acceptance: p = 1 / (1 + exp(-(base + pay*(share/reference - 1) + night*[22-06 h]
    + weekend*[Sat/Sun] + lead_time*ln(1 + lead days) + hours_worked*(hours this week)/10))).
    """

    base: float = doc("log-odds of accepting at the reference pay, a weekday daytime shift, "
                      "no lead time and no hours worked this week", default=-0.4)
    pay: float = doc("log-odds per +100 % of the officer's hourly share over the reference pay", default=2.5)
    reference_pay: float = doc("the hourly officer pay the base is set at (0: the agency's regular share)",
                               default=0.0)
    night: float = doc("log-odds for shifts starting 22:00-05:59", default=-0.9)
    weekend: float = doc("log-odds for shifts starting on Saturday or Sunday", default=-0.3)
    lead_time: float = doc("log-odds per ln(1 + days of lead time)", default=0.25)
    hours_worked: float = doc("log-odds per 10 off-duty hours already booked this week", default=-0.5)
    always: bool = doc("every eligible officer accepts (theory checks; officers.participation and "
                       "activity_sigma are then ignored)", default=False)


@attrs.frozen(kw_only=True)
class OfficersSection:
    count: int = doc("officers on the generated roster", default=150)
    roster: str = doc("a roster CSV to use instead of a generated one (issue 3's columns); "
                      "relative to the scenario file", default="")
    supervisor_share: float = doc("share of officers of supervisor rank (sergeant and above)",
                                  default=0.15, validator=_fraction)
    sso_share: float = doc("share holding the School Safety Officer qualification", default=0.1,
                           validator=_fraction)
    schedules: Mapping[str, float] = doc(
        "on-duty schedule mix: 5x8, 4x10, pitman (12-hour 2-2-3), none (always free)",
        factory=lambda: {"5x8": 0.5, "4x10": 0.3, "pitman": 0.2}, converter=dict)
    backup_agencies: Mapping[str, int] = doc(
        "generated officers of other agencies, e.g. { \"grantsville-ut\" = 40 }: agency name -> count, "
        "with the same rank, qualification and schedule mix and their home agency's caps; they may take "
        "a shift only where a [distribution.categories.NAME] lists that agency in backup_agencies (from "
        "the second posting stage); with a roster CSV, put them in the CSV instead",
        factory=dict, converter=dict)
    views_per_hour: float = doc("officers who look at an open posting per hour in the daytime "
                                "(a Poisson stream; fewer at night)", default=1.5, validator=_positive)
    max_views: int = doc("at most this many looks per posting (bounds the cost of hopeless shifts)",
                         default=120, validator=_at_least(0))
    max_applicants: int = doc("a sign-up window stops drawing looks once this many officers applied (the "
                              "method's order decides among them; the others are back-ups)", default=6,
                              validator=_at_least(1))
    response_minutes: LogNormal | Choice = dist_field(
        "minutes from an offer (sequencing) to the officer's answer",
        default=LogNormal(median=40, sigma=1.0, max=24 * 60), validator=_support(lambda v: v >= 0, "must be >= 0"))
    instant: bool = doc("theory mode: every officer sees a posting at once and answers at once "
                        "(no views stream)", default=False)
    acceptance: Acceptance = doc("how likely an eligible officer who sees a shift takes it",
                                 factory=Acceptance, nested=Acceptance)
    participation: float = doc("share of approved officers who work off-duty at all; the others look at "
                               "postings but never take one (about 0.43 nationally; under 0.27 of 800 enrolled "
                               "officers in New Orleans worked details)", default=0.43, validator=_fraction)
    activity_sigma: float = doc("how unequally the participating officers work: each gets a log-odds offset "
                                "drawn from Normal(0, activity_sigma) added to acceptance, so some work rarely "
                                "and a few a great deal (0: all alike)", default=1.0, validator=_non_negative)

    def __attrs_post_init__(self) -> None:
        if self.count < 1 and not self.roster:
            raise ScenarioError("officers.count", self.count, "must be >= 1")
        for name, share in self.schedules.items():
            if name not in SCHEDULES:
                close = difflib.get_close_matches(name, SCHEDULES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ScenarioError(f"officers.schedules.{name}", share, f"schedules are {', '.join(SCHEDULES)}{hint}")
            if share < 0:
                raise ScenarioError(f"officers.schedules.{name}", share, "must be >= 0")
        if sum(self.schedules.values()) <= 0:
            raise ScenarioError("officers.schedules", dict(self.schedules), "give at least one share > 0")
        for name, count in self.backup_agencies.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ScenarioError(f"officers.backup_agencies.{name}", count,
                                    "must be a whole number of officers >= 0")
        if self.roster and self.backup_agencies:
            raise ScenarioError("officers.backup_agencies", dict(self.backup_agencies),
                                "generated back-up officers need a generated roster; with officers.roster "
                                "put the back-up agencies' officers in the roster CSV")


@attrs.frozen(kw_only=True)
class CategoryDemand:
    """One-off jobs of one category (vendors ask for these at random)."""

    vendors: int = doc("distinct vendors asking for this category", default=20, validator=_at_least(1))
    requests_per_week: float = doc("mean requests a week before seasonality and price response",
                                   default=10.0, validator=_non_negative)
    lead_time_days: LogNormal | Choice = dist_field("days from request to start",
                                                    default=LogNormal(median=6, sigma=1.0, max=120),
                                                    validator=_within_days)
    duration_hours: LogNormal | Choice = dist_field(
        "scheduled hours", default=Choice(values=(3, 4, 6, 8), weights=(2, 4, 3, 2)),
        validator=_support(lambda v: v > 0, "must be > 0"))
    officers: LogNormal | Choice = dist_field("officers per request",
                                              default=Choice(values=(1, 2, 3, 4), weights=(6, 3, 1, 0.5)),
                                              validator=_support(lambda v: v >= 1, "must be >= 1"))
    vehicle_share: float = doc("share of requests with a marked vehicle", default=0.3, validator=_fraction)
    hour: tuple[float, ...] | None = doc("start-hour profile for this category (24 factors; default "
                                         "demand.hour)", default=None,
                                         converter=attrs.converters.optional(_profile(24, "hour")))
    month: tuple[float, ...] | None = doc("seasonality by month for this category (12 factors, January first; "
                                          "normalised; default demand.month)", default=None,
                                          converter=attrs.converters.optional(_profile(12, "month")))
    weekday: tuple[float, ...] | None = doc("seasonality by weekday for this category (7 factors, Monday first; "
                                            "normalised; default demand.weekday)", default=None,
                                            converter=attrs.converters.optional(_profile(7, "weekday")))


@attrs.frozen(kw_only=True)
class StandingPost:
    """A vendor's weekly standing post: the same hours every listed weekday."""

    vendor: str = doc("the vendor's id", default="standing-vendor")
    category: str = doc("job category", default="security")
    weekdays: tuple[int, ...] = doc("days of the week, 0 = Monday", default=(4, 5), converter=tuple,
                                    validator=_weekdays)
    start: str = doc("local start time HH:MM", default="18:00", validator=_hhmm)
    hours: float = doc("scheduled hours (whole minutes)", default=6.0, validator=[_positive, _whole_minutes])
    officers: int = doc("officers per shift", default=1, validator=_at_least(1))
    vehicle: bool = doc("with a marked vehicle", default=False)
    lead_days: float = doc("posted this many days before each shift", default=14.0, validator=_lead_days)


@attrs.frozen(kw_only=True)
class SchoolSection:
    """School Safety Officer shifts on every school day of the calendar."""

    schools: int = doc("schools with an SSO post (0: none)", default=0, validator=_at_least(0))
    officers_per_school: int = doc("officers per school per day", default=1, validator=_at_least(1))
    start: str = doc("local start time HH:MM", default="07:00", validator=_hhmm)
    hours: float = doc("scheduled hours (whole minutes)", default=8.0, validator=[_positive, _whole_minutes])
    terms: tuple[tuple[date, date], ...] = doc(
        "school terms as [first day, last day] pairs; weekdays inside a term are school days",
        default=(("2027-01-05", "2027-05-28"), ("2027-08-16", "2027-12-17")),
        converter=lambda v: tuple((_iso_date(a), _iso_date(b)) for a, b in v), validator=_ordered_pairs)
    breaks: tuple[tuple[date, date], ...] = doc(
        "[first day, last day] of breaks inside terms (no school)",
        default=(("2027-03-15", "2027-03-19"), ("2027-11-24", "2027-11-26")),
        converter=lambda v: tuple((_iso_date(a), _iso_date(b)) for a, b in v), validator=_ordered_pairs)
    lead_days: float = doc("shifts are posted this many days ahead", default=14.0, validator=_lead_days)
    category: str = doc("job category of SSO shifts (needs the sso qualification)", default="school_safety")


@attrs.frozen(kw_only=True)
class EventsSection:
    """Special events: many officers over several consecutive days."""

    per_year: float = doc("mean events a year (Poisson)", default=0.0, validator=_non_negative)
    days: LogNormal | Choice = dist_field("consecutive days", default=Choice(values=(1, 2, 3), weights=(5, 3, 2)),
                                          validator=_support(lambda v: v >= 1, "must be >= 1"))
    officers: LogNormal | Choice = dist_field("officers per day",
                                              default=Choice(values=(8, 15, 30), weights=(5, 3, 1)),
                                              validator=_support(lambda v: v >= 1, "must be >= 1"))
    hours: LogNormal | Choice = dist_field("hours per day", default=Choice(values=(6, 8, 10), weights=(2, 3, 2)),
                                           validator=_support(lambda v: v > 0, "must be > 0"))
    lead_time_days: LogNormal | Choice = dist_field("days from request to the first day",
                                                    default=LogNormal(median=40, sigma=0.5, min=7, max=180),
                                                    validator=_within_days)
    start_hour: LogNormal | Choice = dist_field("local start hour", default=Choice(values=(8, 10, 16, 17)),
                                                validator=_support(lambda v: 0 <= v < 24,
                                                                   "must be from 0 to below 24 (a log-normal: "
                                                                   "give max < 24)"))
    vehicle_share: float = doc("share of events with marked vehicles", default=0.5, validator=_fraction)
    category: str = doc("job category", default="special_event")
    vendors: int = doc("distinct event organisers", default=6, validator=_at_least(1))


@attrs.frozen(kw_only=True)
class DemandSection:
    elasticity: float = doc("price elasticity of the number of requests: requests scale by "
                            "(price / reference price) ** elasticity", default=-0.5)
    month: tuple[float, ...] = doc("seasonality by month (12 factors, January first; normalised to mean 1)",
                                   default=MONTH_DEFAULT, converter=_profile(12, "demand.month"))
    weekday: tuple[float, ...] = doc("seasonality by weekday (7 factors, Monday first; normalised)",
                                     default=WEEKDAY_DEFAULT, converter=_profile(7, "demand.weekday"))
    hour: tuple[float, ...] = doc("start-hour profile (24 factors, 00 h first)", default=HOUR_DEFAULT,
                                  converter=_profile(24, "demand.hour"))
    start_minute_step: int = doc("one-off jobs start on multiples of this many minutes past the hour "
                                 "(30: :00 or :30; 1: any minute)", default=30)
    categories: Mapping[str, CategoryDemand] = doc(
        "one-off jobs by category: [demand.categories.NAME]", factory=dict, mapping_of=CategoryDemand)
    standing: tuple[StandingPost, ...] = doc("weekly standing posts: [[demand.standing]]", default=(),
                                             list_of=StandingPost, converter=tuple)
    school: SchoolSection = doc("school-day SSO shifts", factory=SchoolSection, nested=SchoolSection)
    events: EventsSection = doc("special events", factory=EventsSection, nested=EventsSection)


    def __attrs_post_init__(self) -> None:
        if self.start_minute_step not in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60):
            raise ScenarioError("demand.start_minute_step", self.start_minute_step, "must divide 60")


@attrs.frozen(kw_only=True)
class ChangesSection:
    cancel_rate: float = doc("share of requests the vendor cancels before the start", default=0.06,
                             validator=_fraction)
    cancel_inside_window: float = doc("share of cancellations that arrive inside the agency's "
                                      "cancellation window (the rest between request and window)",
                                      default=0.35, validator=_fraction)
    cancel_not_written: float = doc("share of cancellations by phone without the request number "
                                    "(refused where the agency requires writing)", default=0.02,
                                    validator=_fraction)
    reduce_rate: float = doc("share of multi-officer requests reduced by one officer", default=0.03,
                             validator=_fraction)
    start_change_rate: float = doc("share of requests whose start time moves", default=0.03,
                                   validator=_fraction)
    start_change_hours: LogNormal | Choice = dist_field(
        "hours the start moves (either way)", default=Choice(values=(1, 2, 3), weights=(3, 2, 1)))
    officer_cannot_change: float = doc("share of assigned officers who cannot work the moved hours",
                                       default=0.3, validator=_fraction)
    early_release_rate: float = doc("share of worked shifts released early", default=0.05, validator=_fraction)
    drop_rate: float = doc("share of awarded shifts the officer drops before the start", default=0.04,
                           validator=_fraction)
    no_show_rate: float = doc("share of awarded shifts the officer does not come to", default=0.003,
                              validator=_fraction)


@attrs.frozen(kw_only=True)
class PaymentSection:
    methods: Mapping[str, float] = doc("share of vendors paying by card, ach, check",
                                       factory=lambda: {"card": 0.2, "ach": 0.6, "check": 0.2}, converter=dict)
    days_to_pay: LogNormal | Choice = dist_field("days from invoice to payment",
                                                 default=LogNormal(median=27, sigma=0.45, min=1, max=180),
                                                 validator=_within_days)
    default_rate: float = doc("share of invoices never paid (written off as bad debt)", default=0.01,
                              validator=_fraction)

    def __attrs_post_init__(self) -> None:
        for name, share in self.methods.items():
            if name not in PAYMENT_METHODS:
                raise ScenarioError(f"payment.methods.{name}", share, f"methods are {', '.join(PAYMENT_METHODS)}")
            if share < 0:
                raise ScenarioError(f"payment.methods.{name}", share, "must be >= 0")
        if sum(self.methods.values()) <= 0:
            raise ScenarioError("payment.methods", dict(self.methods), "give at least one share > 0")


def _method(instance: object, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and value not in METHODS:
        close = difflib.get_close_matches(value, METHODS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(attribute.name, value, f"methods are {', '.join(METHODS)}{hint}")


@attrs.frozen(kw_only=True)
class MethodChoice:
    """How one category's shifts are distributed (issue 3's ``DistributionConfig``)."""

    method: str = doc("distribution method", default="immediate-release", validator=_method)
    params: Mapping[str, Any] = doc("the method's parameters (see its plugin's documentation: window_hours, "
                                    "response_minutes, roll, order, lookback, jobs_per_day, ...)",
                                    factory=dict, converter=dict)
    group: str | None = doc("a qualification the first posting stage is limited to", default=None)
    backup_agencies: tuple[str, ...] = doc("agencies whose officers (on the roster: the CSV's, or generated by "
                                           "officers.backup_agencies) may take the shift from the second stage",
                                           default=(), converter=tuple)
    release_after_hours: float | None = doc("the second stage opens this long after posting", default=None)
    release_before_start_hours: float | None = doc("... or this long before the start if still unfilled",
                                                   default=None)

    def config(self) -> dict[str, Any]:
        """Plain data for :meth:`offduty_core.distribution.DistributionConfig.from_dict`."""
        out: dict[str, Any] = {"method": self.method, "params": dict(self.params)}
        if self.group is not None:
            out["group"] = self.group
        if self.backup_agencies:
            out["backup_agencies"] = list(self.backup_agencies)
        if self.release_after_hours is not None:
            out["release_after_hours"] = self.release_after_hours
        if self.release_before_start_hours is not None:
            out["release_before_start_hours"] = self.release_before_start_hours
        return out


@attrs.frozen(kw_only=True)
class DistributionSection:
    method: str | None = doc("the method for every category not listed below (unset: the agency plugin's own "
                             "configuration)", default=None, validator=_method)
    params: Mapping[str, Any] = doc("the default method's parameters", factory=dict, converter=dict)
    categories: Mapping[str, MethodChoice] = doc("per-category method: [distribution.categories.NAME]",
                                                 factory=dict, mapping_of=MethodChoice)

    def overrides(self) -> dict[str, dict[str, Any]]:
        """``{category or "*": config}`` for the job board (empty: the agency's own)."""
        out = {cat: choice.config() for cat, choice in sorted(self.categories.items())}
        if self.method is not None:
            out["*"] = MethodChoice(method=self.method, params=self.params).config()
        return out


@attrs.frozen(kw_only=True)
class FeesSection:
    admin_fee_pct: float | None = doc("admin fee as % of the officer's share for every rate class "
                                      "(None: the agency's published totals)", default=None,
                                      validator=[_non_negative, _at_most(10000)])
    rate_multiplier: float = doc("multiplies every rate class (share and total) and city line",
                                 default=1.0, validator=[_positive, _at_most(1000)])
    daily_cap: float | None = doc("off-duty daily hour cap override (None: the agency's)", default=None,
                                  validator=_non_negative)
    weekly_cap: float | None = doc("weekly hour cap override", default=None, validator=_non_negative)
    monthly_cap: float | None = doc("monthly hour cap override", default=None, validator=_non_negative)
    min_rest_hours: float | None = doc("minimum rest between shifts override", default=None,
                                       validator=_non_negative)
    no_caps: bool = doc("remove every hour cap and the rest rule (theory checks)", default=False)


@attrs.frozen(kw_only=True)
class Scenario:
    name: str = doc("a label for reports", default="scenario")
    description: str = doc("free text", default="")
    agency: AgencySection = doc("[agency]", factory=AgencySection, nested=AgencySection)
    officers: OfficersSection = doc("[officers]", factory=OfficersSection, nested=OfficersSection)
    demand: DemandSection = doc("[demand]", factory=DemandSection, nested=DemandSection)
    changes: ChangesSection = doc("[changes]", factory=ChangesSection, nested=ChangesSection)
    payment: PaymentSection = doc("[payment]", factory=PaymentSection, nested=PaymentSection)
    distribution: DistributionSection = doc("[distribution]", factory=DistributionSection,
                                            nested=DistributionSection)
    fees: FeesSection = doc("[fees]", factory=FeesSection, nested=FeesSection)
    base_dir: str = attrs.field(default="", metadata={"internal": True})

    def with_overrides(self, overrides: Mapping[str, Any], registry: Any = None) -> "Scenario":
        """A copy with dotted keys replaced (``{"fees.admin_fee_pct": 12}``), validated again
        (against ``registry``, as :func:`from_dict`).

        A method's parameters belong to it: changing ``distribution.method`` (or a category's
        ``method``) to another method drops the old one's ``params`` unless the same overrides
        give new ones, so a sweep over methods runs each with its documented defaults."""
        data = to_dict(self)
        for key, value in overrides.items():
            parts = key.split(".")
            node = data
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ScenarioError(key, value, f"{'.'.join(parts[:parts.index(part) + 1])} is not a table")
            if (parts[-1] == "method" and parts[0] == "distribution" and node.get("method") != value
                    and ".".join(parts[:-1] + ["params"]) not in overrides):
                node.pop("params", None)
            node[parts[-1]] = value
        try:
            return from_dict(data, base_dir=self.base_dir, registry=registry)
        except UnknownKey as exc:
            # Name the override as given ("nope.key"), not only its first unknown part.
            for key in overrides:
                if key == exc.field or key.startswith(exc.field + "."):
                    raise UnknownKey(key, exc.suggestion, exc.known) from None
            raise


# --- loading ---------------------------------------------------------------------------------


def _check_keys(data: Mapping[str, Any], known, path: str) -> None:
    known = list(known)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            prefix = f"{path}." if path else ""
            raise UnknownKey(f"{prefix}{key}", f"{prefix}{close[0]}" if close else None, known) from None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


#: A field's annotation -> (is this value of that type, what to give instead).
_TYPES = {
    "int": (_is_whole, "give a whole number"),
    "float": (_is_number, "give a finite number"),
    "bool": (lambda v: isinstance(v, bool), "give true or false"),
    "str": (lambda v: isinstance(v, str), "give a text string"),
    "date": (lambda v: isinstance(v, (str, date)), "give an ISO date such as '2027-01-01'"),
    "tuple[float, ...]": (lambda v: isinstance(v, (list, tuple)) and all(map(_is_number, v)),
                          "give a list of finite numbers"),
    "tuple[int, ...]": (lambda v: isinstance(v, (list, tuple)) and all(map(_is_whole, v)),
                        "give a list of whole numbers"),
    "tuple[str, ...]": (lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
                        "give a list of text strings"),
    "tuple[tuple[date, date], ...]": (
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in v),
        "give a list of [first day, last day] pairs, e.g. [[\"2027-01-05\", \"2027-05-28\"]]"),
    "Mapping[str, float]": (lambda v: isinstance(v, Mapping) and all(map(_is_number, v.values())),
                            "give a table of finite numbers"),
}


def _check_type(annotation: str, value: Any, field: str) -> None:
    """Refuse a value of the wrong type for a field annotated ``annotation`` (``X | None``
    also takes None), naming the field."""
    base, optional = annotation, False
    if annotation.endswith(" | None"):
        base, optional = annotation[: -len(" | None")], True
    if value is None and optional:
        return
    check = _TYPES.get(base)
    if check is not None and not check[0](value):
        raise ScenarioError(field, value, check[1])


def _convert(f: attrs.Attribute, value: Any, field: str) -> Any:
    """``f``'s converter applied to ``value``, its errors naming the field's dotted key."""
    try:
        return f.converter(value)
    except UnknownKey as exc:
        raise UnknownKey(f"{field}.{exc.field}", f"{field}.{exc.suggestion}" if exc.suggestion else None,
                         exc.known) from None
    except ScenarioError as exc:
        inner = exc.field
        if inner in ("distribution", "date", f.name) or field.endswith(inner):
            raise ScenarioError(field, exc.value, exc.allowed) from None
        raise ScenarioError(f"{field}.{inner}", exc.value, exc.allowed) from None
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an integer past any float
        raise ScenarioError(field, value, str(exc)) from None


def _build(cls: type, data: Any, path: str, pattern: str | None = None) -> Any:
    """``cls`` from the table ``data`` at dotted key ``path`` (``pattern``: the same key with
    ``NAME`` and ``[]`` for table names and list items, the key of :data:`ranges.RANGES`)."""
    pattern = path if pattern is None else pattern
    if not isinstance(data, Mapping):
        raise ScenarioError(path or "scenario", data, "must be a table")
    fields = {f.name: f for f in attrs.fields(cls) if not f.metadata.get("internal")}
    _check_keys(data, fields, path)
    kwargs = {}
    plain: list[tuple[str, str, str]] = []  # (name, key, pattern) of the values checked against ranges
    for key, value in data.items():
        f = fields[key]
        sub = f"{path}.{key}" if path else key
        sub_pattern = f"{pattern}.{key}" if pattern else key
        try:
            if "nested" in f.metadata:
                value = _build(f.metadata["nested"], value, sub, sub_pattern)
            elif "mapping_of" in f.metadata:
                if not isinstance(value, Mapping):
                    raise ScenarioError(sub, value, "must be a table of tables")
                value = {k: _build(f.metadata["mapping_of"], v, f"{sub}.{k}", f"{sub_pattern}.NAME")
                         for k, v in value.items()}
            elif "list_of" in f.metadata:
                if not isinstance(value, (list, tuple)):
                    raise ScenarioError(sub, value, f"must be a list of tables: [[{sub}]]")
                if len(value) > 1000:
                    raise ScenarioError(sub, f"{len(value)} tables", "give at most 1000")
                value = tuple(_build(f.metadata["list_of"], v, f"{sub}[{i}]", f"{sub_pattern}[]")
                              for i, v in enumerate(value))
            else:
                _check_type(f.type, value, sub)
                if f.converter is not None:
                    value = _convert(f, value, sub)
                plain.append((key, sub, sub_pattern))
        except ScenarioError:
            raise
        kwargs[key] = value
    try:
        built = cls(**kwargs)
    except ScenarioError as exc:
        if exc.field.startswith(path) or not path or exc.field == "scenario":
            raise
        raise ScenarioError(f"{path}.{exc.field}", exc.value, exc.allowed) from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ScenarioError(path or "scenario", data, str(exc)) from None
    # The ranges, once the field's own checks passed (their messages are the more specific).
    clipped = {}
    for name, key, key_pattern in plain:
        value = getattr(built, name)
        checked = ranges.check(key_pattern, key, value, ScenarioError)
        if checked is not value:
            clipped[name] = checked
    return attrs.evolve(built, **clipped) if clipped else built


def from_dict(data: Mapping[str, Any], base_dir: str | Path = "", registry: Any = None) -> Scenario:
    """Build and validate a scenario.  The agency, categories and methods are checked against
    ``registry`` (an :class:`offduty_core.Registry`; default: the installed plugins), so a
    scenario may name an agency from a plugin manager of your own (see
    :func:`offduty_simulations.runner.replicate`)."""
    scenario = _build(Scenario, data, "")
    scenario = attrs.evolve(scenario, base_dir=str(base_dir))
    _check_against_registry(scenario, registry)
    return scenario


def load(path: str | Path, registry: Any = None) -> Scenario:
    """Read and validate a scenario TOML file."""
    from offduty_core.limits import MAX_SCENARIO_BYTES
    from offduty_core.readers import read_text

    path = Path(path)
    return loads(read_text(path, "--scenario", MAX_SCENARIO_BYTES), base_dir=path.parent, registry=registry)


def loads(text: str, base_dir: str | Path = "", registry: Any = None) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("scenario", "TOML", f"is not valid TOML: {exc}") from None
    except (RecursionError, ValueError) as exc:  # arrays nested thousands deep, integers of 4,300+ digits
        raise ScenarioError("scenario", "TOML", f"holds values no scenario needs ({type(exc).__name__}: "
                                                f"{' '.join(str(exc).split())[:100]})") from None
    if not data:
        raise ScenarioError("scenario", "an empty file", "give at least [agency] name and a [demand] section "
                                                         "(`offduty scenario` lists every key and its default)")
    return from_dict(data, base_dir=base_dir, registry=registry)


def _check_against_registry(scenario: Scenario, registry: Any = None) -> None:
    if registry is None:
        from offduty_core import default_registry

        registry = default_registry()
    if scenario.agency.name not in registry.agencies:
        names = list(registry.agencies)
        close = difflib.get_close_matches(scenario.agency.name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; installed: {', '.join(names)}"
        raise ScenarioError("agency.name", scenario.agency.name, f"no such agency plugin{hint}")
    known = registry.categories
    used = set(scenario.demand.categories) | {p.category for p in scenario.demand.standing}
    used |= set(scenario.distribution.categories)
    if scenario.demand.school.schools:
        used.add(scenario.demand.school.category)
    if scenario.demand.events.per_year:
        used.add(scenario.demand.events.category)
    for category in sorted(used):
        if category not in known:
            close = difflib.get_close_matches(category, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError("category", category, f"categories are {', '.join(sorted(known))}{hint}")
    # Each method and its parameters, validated by the method plugin itself.
    from offduty_core.distribution import DistributionConfig, method_class

    for category, config in scenario.distribution.overrides().items():
        field = f"distribution.categories.{category}" if category != "*" else "distribution"
        try:
            parsed = DistributionConfig.from_dict(config, field)
            method_class(registry.pm, parsed.method)(scenario.agency.name, parsed.params)
        except InputError as exc:
            if isinstance(exc, ScenarioError):
                raise
            # The core names a method's parameters and release times "distribution....": name
            # the scenario's own key (e.g. distribution.categories.security.params.window_hours).
            name = exc.field
            if name.startswith("distribution.") and not name.startswith(field + "."):
                name = field + name[len("distribution"):]
            if name.endswith((".release_after", ".release_before_start")):
                name += "_hours"
            raise ScenarioError(name, exc.value, exc.allowed) from None
    if not scenario.officers.roster:
        # A generated officer holds no qualification but "sso": any other group is a first
        # stage open to nobody (the shift would silently wait for its release time).
        for category, choice in sorted(scenario.distribution.categories.items()):
            if choice.group is not None and choice.group != "sso":
                raise ScenarioError(f"distribution.categories.{category}.group", choice.group,
                                    "generated officers hold only the 'sso' qualification; use group = \"sso\", "
                                    "leave group out, or give a roster CSV (officers.roster) whose officers "
                                    "hold it")
    _check_backups(scenario, registry, used)


def _check_backups(scenario: Scenario, registry: Any, used: set[str]) -> None:
    """Back-up agencies name installed agencies; a category's back-up agency has officers on a
    generated roster (a roster CSV is checked when it is read: :func:`backup_without_officers`);
    generated back-up officers have a category that opens to them."""
    names = list(registry.agencies)
    home = scenario.agency.name

    def unknown(field: str, name: str) -> ScenarioError:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; installed: {', '.join(names)}"
        return ScenarioError(field, name, f"no such agency plugin{hint}")

    generated = scenario.officers.backup_agencies
    for name in generated:
        if name == home:
            raise ScenarioError(f"officers.backup_agencies.{name}", generated[name],
                                f"{name!r} is the simulated agency (agency.name); its own officers are "
                                "officers.count, back-up officers belong to other agencies")
        if name not in registry.agencies:
            raise unknown("officers.backup_agencies", name)
    for category, choice in sorted(scenario.distribution.categories.items()):
        for name in choice.backup_agencies:
            if name not in registry.agencies:
                raise unknown(f"distribution.categories.{category}.backup_agencies", name)
    if scenario.officers.roster:
        return
    problem = backup_without_officers(scenario, {home} | {a for a, n in generated.items() if n > 0})
    if problem is not None:
        raise problem
    # Generated back-up officers nobody may call on would silently do nothing.
    called = {a for choice in scenario.distribution.categories.values() for a in choice.backup_agencies}
    idle = [a for a, n in sorted(generated.items()) if n > 0 and a not in called]
    if idle and scenario.distribution.method is None:
        # Categories the scenario leaves to the agency plugin's own configuration.
        from offduty_core.distribution import config_for

        rules = registry.rules(home)
        for category in sorted(used - set(scenario.distribution.categories)):
            called |= set(config_for(rules, category).backup_agencies)
        idle = [a for a in idle if a not in called]
    if idle:
        name = idle[0]
        raise ScenarioError(f"officers.backup_agencies.{name}", generated[name],
                            f"no category opens its shifts to {name}, so these officers could never take one; "
                            f"list it in a category's back-up agencies with a release time, e.g. "
                            f"[distribution.categories.special_event] backup_agencies = [\"{name}\"], "
                            f"release_before_start_hours = 48")


def backup_without_officers(scenario: Scenario, agencies: Any) -> ScenarioError | None:
    """The error for the first back-up agency a ``[distribution.categories.NAME]`` lists that
    has no officer among ``agencies`` (the roster's agencies), else None: a back-up stage open
    to nobody would silently do nothing."""
    for category, choice in sorted(scenario.distribution.categories.items()):
        for name in choice.backup_agencies:
            if name == scenario.agency.name or name in agencies:
                continue
            if scenario.officers.roster:
                fix = f"add {name}'s officers to the roster CSV ({scenario.officers.roster})"
            else:
                fix = (f"generate some with officers.backup_agencies = {{ \"{name}\" = 20 }} "
                       "(a generated roster holds only the agency's own officers otherwise)")
            return ScenarioError(f"distribution.categories.{category}.backup_agencies", name,
                                 f"no officer of {name} is on the roster, so the back-up stage would open "
                                 f"to nobody; {fix}, or remove it from backup_agencies")
    return None


def to_dict(obj: Any) -> Any:
    """The scenario as plain TOML-able data (dates as ISO strings, None left out)."""
    if attrs.has(type(obj)):
        out = {}
        for f in attrs.fields(type(obj)):
            if f.metadata.get("internal"):
                continue
            value = to_dict(getattr(obj, f.name))
            if value is not None:
                out[f.name] = value
        return out
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float) and obj == float("inf"):
        return None
    return obj


def describe(cls: type = Scenario, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, documentation) for every field: the scenario reference."""
    rows = []
    for f in attrs.fields(cls):
        if f.metadata.get("internal"):
            continue
        key = f"{prefix}{f.name}"
        if "nested" in f.metadata:
            rows.append((key, "(section)", f.metadata["doc"]))
            rows.extend(describe(f.metadata["nested"], key + "."))
        elif "mapping_of" in f.metadata:
            rows.append((key + ".NAME", "(section)", f.metadata["doc"]))
            rows.extend(describe(f.metadata["mapping_of"], key + ".NAME."))
        elif "list_of" in f.metadata:
            rows.append((f"[[{key}]]", "(list)", f.metadata["doc"]))
            rows.extend(describe(f.metadata["list_of"], key + "[]."))
        else:
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            rows.append((key, repr(to_dict(default)), f.metadata.get("doc", "")))
    return rows


#: ``offduty sweep`` options: option name -> the scenario key it varies.  Kept here (not in
#: runner.py) so the CLI can build its parser without importing pandas.
SWEEP_AXES = {
    "admin_fee_pct": "fees.admin_fee_pct",
    "rate_multiplier": "fees.rate_multiplier",
    "daily_cap": "fees.daily_cap",
    "weekly_cap": "fees.weekly_cap",
    "monthly_cap": "fees.monthly_cap",
    "method": "distribution.method",
}
