"""The sections of a scenario (agency, officers, demand, changes, payment, distribution,
fees): frozen attrs classes whose every field has a default and a ``doc``.  The
:class:`~offduty_simulations.scenario.Scenario` that holds them, and loading it from TOML,
are in :mod:`offduty_simulations.scenario`.
"""

from __future__ import annotations

import difflib
from datetime import date, timedelta
from typing import Any, Mapping

import attrs

from .scenario_fields import (
    ScenarioError, doc, LogNormal, Choice, dist_field, _fraction, _positive, _whole_minutes, _non_negative,
    _at_least, _year, _weekdays, _hhmm, _ordered_pairs, _at_most, _lead_days, _support, _within_days, _iso_date,
    _profile,
)


#: Schedules a generated roster may use (see :mod:`offduty_simulations.fill`).
SCHEDULES = ("5x8", "4x10", "pitman", "none")
#: Distribution methods (issue 3's plugins in ``plugins/distribution``).
METHODS = ("immediate-release", "seniority", "sequencing", "bidding", "fairness")
PAYMENT_METHODS = ("card", "ach", "check")

MONTH_DEFAULT = (0.85, 0.85, 0.95, 1.0, 1.1, 1.15, 1.15, 1.1, 1.0, 1.0, 0.95, 0.9)
WEEKDAY_DEFAULT = (0.9, 0.9, 0.95, 1.0, 1.15, 1.2, 0.9)  # Monday first
HOUR_DEFAULT = (0.3, 0.2, 0.1, 0.1, 0.2, 0.6, 1.2, 1.6, 1.6, 1.3, 1.1, 1.0,
                1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.4, 1.0, 0.7, 0.5, 0.4)


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
