"""An agency as one frozen value: :class:`AgencySpec` and the parts of a rate sheet.

An agency plugin's ``offduty_agency()`` returns one :class:`AgencySpec`.  Everything on a
rate sheet that is the same for every request -- rates and shares, extras, holidays, notice,
minimums, cancellation tiers, caps, payment terms -- is a field here, checked when the value
is made (amounts from strings to ``Decimal``, names and ranges validated, each error naming
its field).  The core compiles a spec once into the plan billing and the job board use
(:mod:`offduty_core.rules`); hooks are left only for what an agency decides per request or
per piece of work.  A plugin sets only the fields where it differs from the defaults.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

import attrs

from .calendars import HolidayCalendar
from .errors import InputError
from .model import ROLES, AgencyInfo
from .money import ZERO, to_decimal
from .timeutil import zone
from .staffing import DistributionConfig


def _money(field: str) -> Callable[[object], Decimal]:
    def convert(value: object) -> Decimal:
        return to_decimal(value, field)

    return convert


def _optional_money(field: str) -> Callable[[object], Decimal | None]:
    def convert(value: object) -> Decimal | None:
        return None if value is None else to_decimal(value, field)

    return convert


def _non_negative(instance: object, attribute: attrs.Attribute, value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise InputError(attribute.name, str(value), "must be >= 0")


def _cents_only(field: str) -> Callable[[object, attrs.Attribute, Decimal | None], None]:
    """Rates and amounts are billed in whole cents: 57.005 is a typo, not a rate."""

    def check(instance: object, attribute: attrs.Attribute, value: Decimal | None) -> None:
        if value is not None and value != value.quantize(Decimal("0.01")):
            raise InputError(field, str(value), "give whole cents, e.g. '57.00'")
        if value is not None and value < 0:
            raise InputError(field, str(value), "must be >= 0")

    return check


def _delta(field: str, optional: bool = True) -> Callable[[object], timedelta | None]:
    """Durations as ``timedelta`` or hours (a number or decimal string)."""

    def convert(value: object) -> timedelta | None:
        if value is None and optional:
            return None
        if isinstance(value, timedelta):
            delta = value
        else:
            hours = to_decimal(value, field)
            delta = timedelta(seconds=int(hours * 3600))
        if delta < timedelta(0):
            raise InputError(field, str(value), "must be >= 0")
        return delta

    return convert


# --- rates ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RateClass:
    """One line of a rate sheet: what the vendor is billed per hour (``total``) and the
    officer's ``share`` of it; the admin fee is ``total - share``.

    ``published_fee`` is the fee as the sheet states it, as a fraction of the share (0.11 for
    "11 %"), if it does; the self-check compares ``share x (1 + fee)`` with ``total``.
    ``assumed`` marks a share the sheet does not publish (an assumption parameter).
    ``add_on`` marks a class billed *on top of* the base class for the same hours (a night
    or short-notice differential on an additive sheet), as a line of its own, rather than
    competing with it for "the highest rate wins".
    """

    name: str
    label: str
    total: Decimal = attrs.field(converter=_money("total"), validator=_cents_only("total"))
    share: Decimal = attrs.field(converter=_money("share"), validator=_cents_only("share"))
    published_fee: Decimal | None = attrs.field(default=None, converter=_optional_money("published_fee"))
    assumed: bool = False
    add_on: bool = False

    @share.validator
    def _share_le_total(self, attribute: attrs.Attribute, value: Decimal) -> None:
        if value > self.total:
            raise InputError(f"rates.{self.name}.share", str(value), f"must not exceed the total {self.total}")

    @property
    def fee(self) -> Decimal:
        return self.total - self.share


def _rate_classes(value: object) -> tuple[RateClass, ...]:
    classes = tuple(value)  # type: ignore[arg-type]
    for cls in classes:
        if not isinstance(cls, RateClass):
            raise InputError("rates", repr(cls), "give RateClass values")
    names = [c.name for c in classes]
    if len(set(names)) != len(names):
        raise InputError("rates", names, "rate class names must be unique")
    if "regular" not in names:
        raise InputError("rates", names, "a rate table needs a 'regular' class")
    if any(c.add_on for c in classes if c.name == "regular"):
        raise InputError("rates.regular.add_on", True, "the regular class is a base rate, not an add-on")
    return classes


@attrs.frozen(kw_only=True)
class RateTable:
    """An agency's rate classes and which class each role is billed at.

    ``roles`` maps a role to its class; a role missing from it is not offered by the agency
    (a request for it is refused).  By default officers bill at ``regular``, supervisors at
    ``supervisor`` when the sheet has one (else ``regular``), scribes at ``scribe`` when the
    sheet has one (else the role is not offered).
    """

    classes: tuple[RateClass, ...] = attrs.field(converter=_rate_classes)
    roles: Mapping[str, str] = attrs.field(factory=dict, eq=False)

    def __attrs_post_init__(self) -> None:
        names = {c.name for c in self.classes}
        roles = dict(self.roles)
        if not roles:
            roles["officer"] = "regular"
            roles["supervisor"] = "supervisor" if "supervisor" in names else "regular"
            if "scribe" in names:
                roles["scribe"] = "scribe"
        for role, cls in roles.items():
            if role not in ROLES:
                raise InputError(f"rates.roles.{role}", cls, f"roles are {', '.join(ROLES)}")
            if cls not in names:
                raise InputError(f"rates.roles.{role}", cls, f"rate classes are {', '.join(sorted(names))}")
            if self.get(cls).add_on:
                raise InputError(f"rates.roles.{role}", cls, "a role bills at a base class, not an add-on")
        object.__setattr__(self, "roles", roles)

    def get(self, name: str) -> RateClass:
        for cls in self.classes:
            if cls.name == name:
                return cls
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.classes)

    def highest(self, names: list[str] | set[str] | tuple[str, ...]) -> RateClass:
        """The class with the highest total among ``names`` (ties: the first in the table)."""
        candidates = [c for c in self.classes if c.name in names]
        best = candidates[0]
        for cls in candidates[1:]:
            if cls.total > best.total:
                best = cls
        return best


def _rate_table(value: object) -> RateTable:
    if isinstance(value, RateTable):
        return value
    if isinstance(value, (tuple, list)):
        return RateTable(classes=tuple(value))
    raise InputError("rates", repr(value), "give a RateTable or a tuple of RateClass values")


class Applies(str, Enum):
    ALL_HOURS = "all_hours"  # every officer hour billed (Chandler's city workers' comp)
    VEHICLE = "vehicle"  # only requests that ask for a marked vehicle


class Per(str, Enum):
    HOUR = "hour"  # total x the slot's billed hours of work
    SLOT = "slot"  # total once for every slot worked
    REQUEST = "request"  # total once for a request with any slot worked


@attrs.frozen(kw_only=True)
class Extra:
    """A line billed with the work beside the hourly rate: a vehicle, the city's workers'
    comp, a booking fee.  ``city_share`` of it is owed to the city and the rest is admin fee
    (``city_share=0`` makes an operator fee line).  ``per``: per billed hour (default), per
    worked slot, or per request.  An hourly extra may price its first hour differently
    (``first_hour_total``, ``first_hour_city_share``: "39.55 for the first hour, 5.65 for each
    additional hour"); the invoice then shows the first hour and the rest as two lines.
    """

    name: str
    label: str
    total: Decimal = attrs.field(converter=_money("total"), validator=_cents_only("extras.total"))
    city_share: Decimal = attrs.field(default=ZERO, converter=_money("city_share"),
                                      validator=_cents_only("extras.city_share"))
    applies: Applies = attrs.field(default=Applies.ALL_HOURS, converter=Applies)
    per: Per = attrs.field(default=Per.HOUR, converter=Per)
    first_hour_total: Decimal | None = attrs.field(default=None, converter=_optional_money("first_hour_total"),
                                                   validator=_cents_only("extras.first_hour_total"))
    first_hour_city_share: Decimal | None = attrs.field(
        default=None, converter=_optional_money("first_hour_city_share"),
        validator=_cents_only("extras.first_hour_city_share"))
    published_fee: Decimal | None = attrs.field(default=None, converter=_optional_money("published_fee"))

    def __attrs_post_init__(self) -> None:
        if self.city_share > self.total:
            raise InputError(f"extras.{self.name}.city_share", str(self.city_share),
                             f"must not exceed the total {self.total}")
        if self.first_hour_city_share is not None and self.first_hour_total is None:
            raise InputError(f"extras.{self.name}.first_hour_city_share", str(self.first_hour_city_share),
                             "needs first_hour_total")
        if self.first_hour_total is not None:
            if self.per is not Per.HOUR:
                raise InputError(f"extras.{self.name}.first_hour_total", str(self.first_hour_total),
                                 "only an hourly extra (per='hour') has a first hour")
            if self.first_city_share > self.first_hour_total:
                raise InputError(f"extras.{self.name}.first_hour_city_share", str(self.first_city_share),
                                 f"must not exceed the first hour's total {self.first_hour_total}")

    @property
    def first_city_share(self) -> Decimal:
        return self.city_share if self.first_hour_city_share is None else self.first_hour_city_share

    @property
    def fee(self) -> Decimal:
        return self.total - self.city_share


# --- requests ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NoticeTier:
    """Requests with less notice than ``below`` bill at ``rate_class`` (where it is the
    highest, or on top of the base rate when the class is an add-on)."""

    below: timedelta = attrs.field(converter=_delta("notice.tiers.below", optional=False))
    rate_class: str = "emergency"


@attrs.frozen(kw_only=True)
class NoticeRule:
    """How much notice a request needs.

    ``refuse_below``: less notice than this is refused.  ``tiers``: less notice than a tier's
    ``below`` bills at its rate class; with several tiers (under 7 days, under 72 hours) the
    narrowest that applies decides.  ``emergency_below`` with ``emergency_class`` is shorthand
    for one tier.  Notice runs from ``received_at`` to the start; exactly a threshold is enough.
    """

    refuse_below: timedelta | None = attrs.field(default=None, converter=_delta("notice.refuse_below"))
    emergency_below: timedelta | None = attrs.field(default=None, converter=_delta("notice.emergency_below"))
    emergency_class: str = "emergency"
    tiers: tuple[NoticeTier, ...] = attrs.field(default=(), converter=tuple)

    @tiers.validator
    def _tiers(self, attribute: attrs.Attribute, value: tuple) -> None:
        for tier in value:
            if not isinstance(tier, NoticeTier):
                raise InputError("notice.tiers", repr(tier), "give NoticeTier values")

    def all_tiers(self) -> tuple[NoticeTier, ...]:
        """Every tier, narrowest first (the shorthand included)."""
        tiers = list(self.tiers)
        if self.emergency_below is not None:
            tiers.append(NoticeTier(below=self.emergency_below, rate_class=self.emergency_class))
        return tuple(sorted(tiers, key=lambda t: t.below))


@attrs.frozen(kw_only=True)
class SupervisorRule:
    """Add ``adds`` supervisor position(s) when ``officers_at_least`` officers are requested
    and the request has no supervisor position of its own; with ``every``, add one
    supervisor per ``every`` officers (rounded up) instead, once the threshold is reached."""

    officers_at_least: int
    adds: int = 1
    every: int | None = None

    def count(self, officers: int) -> int:
        if officers < self.officers_at_least:
            return 0
        if self.every:
            return -(-officers // self.every)
        return self.adds


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _prohibited_dates(value: object) -> Mapping[str, str]:
    """``{"2027-07-04": reason}`` for one date, ``{"12-31": reason}`` for every year's."""
    out: dict[str, str] = {}
    for key, reason in dict(value or {}).items():  # type: ignore[call-overload]
        text = key.isoformat() if isinstance(key, date) else key
        field = f"prohibited_dates.{text}"
        if not isinstance(text, str):
            raise InputError("prohibited_dates", repr(key), "keys are 'YYYY-MM-DD' or 'MM-DD' strings")
        match = _MONTH_DAY.match(text)
        try:
            if match:
                date(2000, int(match[1]), int(match[2]))  # a leap year: 02-29 is a date
            else:
                date.fromisoformat(text)
        except ValueError:
            raise InputError(field, text, "give 'YYYY-MM-DD' (one date) or 'MM-DD' (every year)") from None
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(field, reason, "give the reason as a non-empty string")
        out[text] = reason
    return out


# --- cancellations and changes -------------------------------------------------------------


class ShareHours(str, Enum):
    """Which hours a charge bills at the officer's share (and pays the officer)."""

    WORKED = "worked"  # the hours worked, subject to the minimum when any were worked
    WORKED_OR_MINIMUM = "worked_or_minimum"  # the greater of hours worked and the minimum
    NONE = "none"  # no hours (a charge that is only a flat amount or the admin fee)


class FeeHours(str, Enum):
    """Which hours a charge bills the admin fee on."""

    SAME = "same"  # the same hours as the share: billed at the total rate
    FIRST_SCHEDULED = "first_scheduled"  # the first ``fee_hours_cap`` scheduled hours


@attrs.frozen(kw_only=True)
class ChargeRule:
    """What a cancellation or reduction costs the vendor and pays the officer, per slot.

    Normal work is ``ChargeRule()``: hours worked (with the minimum) at the total rate.
    ``flat`` adds a fixed amount per slot ("$100 if cancelled within 48 hours"), of which
    ``flat_officer`` is paid to the officer who held the slot and the rest is admin fee.
    ``officer_min_hours``: the officer is paid at least this many hours (Chandler's 3), the
    operator absorbing what the vendor is not billed.
    """

    share_hours: ShareHours = attrs.field(default=ShareHours.WORKED, converter=ShareHours)
    fee_hours: FeeHours = attrs.field(default=FeeHours.SAME, converter=FeeHours)
    fee_hours_cap: Decimal = attrs.field(default=Decimal(24), converter=_money("fee_hours_cap"),
                                         validator=_non_negative)
    officer_min_hours: Decimal = attrs.field(default=ZERO, converter=_money("officer_min_hours"),
                                             validator=_non_negative)
    flat: Decimal = attrs.field(default=ZERO, converter=_money("flat"), validator=_cents_only("flat"))
    flat_officer: Decimal = attrs.field(default=ZERO, converter=_money("flat_officer"),
                                        validator=_cents_only("flat_officer"))
    label: str = ""

    def __attrs_post_init__(self) -> None:
        if self.flat_officer > self.flat:
            raise InputError("flat_officer", str(self.flat_officer), f"must not exceed flat {self.flat}")


class ChangeHandling(str, Enum):
    """What happens when the assigned officer cannot work a moved start time."""

    REPOST = "repost"  # repost the slot; nobody is charged or paid for the move
    CANCEL_AND_REPOST = "cancel_and_repost"  # charge as a cancellation (window rules), then repost


def _tier_pairs(value: object) -> tuple[tuple[timedelta, ChargeRule], ...]:
    out = []
    for item in tuple(value):  # type: ignore[arg-type]
        if (not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[1], ChargeRule)):
            raise InputError("cancellation.tiers", repr(item), "give (window, ChargeRule) pairs")
        window = _delta("cancellation.tiers.window", optional=False)(item[0])
        out.append((window, item[1]))
    return tuple(out)


@attrs.frozen(kw_only=True)
class CancellationPolicy:
    """Cancellation, reduction, start-time change and early-release rules.

    ``window``: a cancellation (or reduction) received this long or less before the scheduled
    start is inside the window ("within 48 hours" includes exactly 48 hours).  ``inside`` and
    ``outside`` say what it costs; ``tiers`` adds more windows, the narrowest that contains
    the notice deciding.  ``written_channels``: channels a cancellation may arrive by (None:
    any); ``require_request_id``: it must quote the request number.
    ``early_release_full_shift``: an officer released early is paid, and the vendor billed,
    the full scheduled shift; otherwise an early release is a reduction inside the window.
    ``unfilled_alert``: how long before the start the vendor is told a shift is still
    unfilled (Chandler: 24 h).
    """

    window: timedelta = attrs.field(default=timedelta(0), converter=_delta("cancellation.window", optional=False))
    inside: ChargeRule = ChargeRule()
    outside: ChargeRule = ChargeRule()
    tiers: tuple[tuple[timedelta, ChargeRule], ...] = attrs.field(default=(), converter=_tier_pairs)
    written_channels: frozenset[str] | None = attrs.field(default=None,
                                                          converter=attrs.converters.optional(frozenset))
    require_request_id: bool = False
    early_release_full_shift: bool = False
    unaccepted_change: ChangeHandling = attrs.field(default=ChangeHandling.REPOST, converter=ChangeHandling)
    unfilled_alert: timedelta | None = attrs.field(default=None, converter=_delta("cancellation.unfilled_alert"))

    def rule_for(self, remaining: timedelta) -> tuple[ChargeRule, str]:
        """The charge for a cancellation ``remaining`` before the start, and its tag: the
        narrowest window that contains ``remaining`` decides; outside every window, ``outside``."""
        windows = [(self.window, self.inside, "inside-window")] if self.window > timedelta(0) else []
        windows += [(w, r, f"inside-{int(w.total_seconds() // 3600)}h-window") for w, r in self.tiers]
        for window, rule, tag in sorted(windows, key=lambda t: t[0]):
            if remaining <= window:
                return rule, tag
        return self.outside, "outside-window"


# --- officers and payment ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HourCaps:
    """Off-duty hour caps and rest (``None``: no cap).  ``week_start``: 0 = Monday."""

    daily: Decimal | None = attrs.field(default=Decimal(16), converter=_optional_money("daily"))
    weekly: Decimal | None = attrs.field(default=None, converter=_optional_money("weekly"))
    monthly: Decimal | None = attrs.field(default=None, converter=_optional_money("monthly"))
    min_rest: timedelta = attrs.field(default=timedelta(hours=8), converter=_delta("caps.min_rest", optional=False))
    week_start: int = attrs.field(default=0)

    @week_start.validator
    def _weekday(self, attribute: attrs.Attribute, value: int) -> None:
        if value not in range(7):
            raise InputError("week_start", value, "0 (Monday) to 6 (Sunday)")


@attrs.frozen(kw_only=True)
class PaymentTerms:
    """Invoice and payroll terms (the platform's defaults; an agency may override)."""

    net_days: int = 30
    late_charge_monthly: Decimal = attrs.field(default=Decimal("0.015"), converter=_money("late_charge_monthly"))
    method_fees: Mapping[str, Decimal] = attrs.field(
        factory=lambda: {"card": Decimal("0.03"), "ach": Decimal("0"), "check": Decimal("0")},
        converter=lambda m: {k: to_decimal(v, f"method_fees.{k}") for k, v in dict(m).items()},
        eq=False,
    )
    payroll_week_start: int = attrs.field(default=0)
    payroll_pay_days_after: int = 5  # paid on the Friday after a Monday-Sunday week

    @payroll_week_start.validator
    def _weekday(self, attribute: attrs.Attribute, value: int) -> None:
        if value not in range(7):
            raise InputError("payroll_week_start", value, "0 (Monday) to 6 (Sunday)")

    def method_fee(self, method: str) -> Decimal:
        try:
            return self.method_fees[method]
        except KeyError:
            raise InputError("payment.method", method, f"methods are {', '.join(sorted(self.method_fees))}") from None


# --- when rates change within a shift -------------------------------------------------------


def _times_of_day(value: object) -> tuple[time, ...]:
    out = []
    for item in tuple(value or ()):  # type: ignore[arg-type]
        if isinstance(item, time):
            out.append(item)
            continue
        try:
            out.append(time.fromisoformat(item))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError("rate_splits.at", item, "give local times of day such as '23:00'") from None
    return tuple(sorted(set(out)))


def _hours_list(value: object) -> tuple[Decimal, ...]:
    out = []
    for item in tuple(value or ()):  # type: ignore[arg-type]
        hours = to_decimal(item, "rate_splits.after_hours")
        if hours <= 0:
            raise InputError("rate_splits.after_hours", str(hours), "must be > 0")
        out.append(hours)
    return tuple(sorted(set(out)))


@attrs.frozen(kw_only=True)
class RateSplits:
    """Where billed time is cut before each piece's rate class is picked, besides local
    midnight: at local times of day (``at=("07:00", "23:00")`` for a night differential) and
    after so many hours from the start of the time worked (``after_hours=(10,)`` for overtime
    after the 10th consecutive hour from clock-in).  The pieces then go one by one to the
    ``offduty_rate_class`` hook."""

    at: tuple[time, ...] = attrs.field(default=(), converter=_times_of_day)
    after_hours: tuple[Decimal, ...] = attrs.field(default=(), converter=_hours_list)


# --- the whole agency -------------------------------------------------------------------------


def _minimums(value: object) -> Mapping[str, Decimal]:
    """A number for every role, or ``{role: hours}`` (roles left out have no minimum)."""
    if isinstance(value, Mapping):
        out = {}
        for role, hours in value.items():
            if role not in ROLES:
                raise InputError(f"minimum_hours.{role}", hours, f"roles are {', '.join(ROLES)}")
            out[role] = to_decimal(hours, f"minimum_hours.{role}")
    else:
        hours = to_decimal(value, "minimum_hours")
        out = {role: hours for role in ROLES}
    for role, hours in out.items():
        if hours < 0 or hours > 24:
            raise InputError(f"minimum_hours.{role}", str(hours), "must be 0 to 24 hours")
    return {role: out.get(role, ZERO) for role in ROLES}


def _prohibited(value: object) -> Mapping[str, str]:
    out = dict(value or {})  # type: ignore[call-overload]
    for key, reason in out.items():
        if not isinstance(key, str) or not isinstance(reason, str) or not reason.strip():
            raise InputError(f"prohibited.{key}", reason, "give {category: reason} with a non-empty reason")
    return out


def _zone_name(instance: object, attribute: attrs.Attribute, value: str) -> None:
    zone(value, "timezone")


def _distribution(value: object) -> Mapping[str, "DistributionConfig"]:
    out = dict(value or {})  # type: ignore[call-overload]
    for key, config in out.items():
        if not isinstance(key, str) or not isinstance(config, DistributionConfig):
            raise InputError(f"distribution.{key}", repr(config), "give {category or '*': DistributionConfig}")
    return out


def _qualifications(value: object) -> Mapping[str, frozenset[str]]:
    """``{category: qualifications}`` over the core's (school-safety jobs need ``sso``): naming
    another category keeps that; ``{"school_safety": []}`` lifts it."""
    out = {"school_safety": frozenset({"sso"})}
    for key, quals in dict(value or {}).items():  # type: ignore[call-overload]
        quals = (quals,) if isinstance(quals, str) else tuple(quals)
        if not isinstance(key, str) or not all(isinstance(q, str) and q for q in quals):
            raise InputError(f"qualifications.{key}", repr(quals), "give {category: [qualification, ...]}")
        out[key] = frozenset(quals)
    return out


@attrs.frozen(kw_only=True)
class AgencySpec:
    """Everything one agency's rate sheet says, as one value.

    Identity: ``name`` (what stories and the CLI use), ``title``, ``timezone``, ``country``
    and ``subdivision`` (for the holidays package).  Money: ``rates``, ``extras``,
    ``holidays``, ``rate_splits``, ``minimum_hours`` (per officer slot per request; one
    number for every role or ``{role: hours}``).  Requests: ``notice``, ``supervisor``,
    ``prohibited`` (``{category: reason}``), ``prohibited_dates`` (``{"YYYY-MM-DD" or
    "MM-DD": reason}``).  Changes: ``cancellation``.  Officers and money out: ``caps``,
    ``terms``.  Jobs: ``distribution`` (``{category or "*": DistributionConfig}``) and
    ``qualifications`` (``{category: qualifications an officer needs}``; school-safety jobs
    need ``sso`` unless the spec says otherwise).  See docs/writing-an-agency-plugin.md for each field with an example.
    """

    name: str
    title: str
    timezone: str = attrs.field(validator=_zone_name)
    country: str = "US"
    subdivision: str | None = None
    rates: RateTable = attrs.field(converter=_rate_table)
    extras: tuple[Extra, ...] = attrs.field(default=(), converter=tuple)
    holidays: HolidayCalendar | None = None
    rate_splits: RateSplits = RateSplits()
    minimum_hours: Mapping[str, Decimal] = attrs.field(default=ZERO, converter=_minimums, eq=False)
    notice: NoticeRule = NoticeRule()
    supervisor: SupervisorRule | None = None
    prohibited: Mapping[str, str] = attrs.field(factory=dict, converter=_prohibited, eq=False)
    prohibited_dates: Mapping[str, str] = attrs.field(factory=dict, converter=_prohibited_dates, eq=False)
    cancellation: CancellationPolicy = CancellationPolicy()
    caps: HourCaps = HourCaps()
    terms: PaymentTerms = PaymentTerms()
    distribution: Mapping[str, DistributionConfig] = attrs.field(factory=dict, converter=_distribution, eq=False)
    qualifications: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_qualifications, eq=False)

    def distribution_for(self, category: str) -> DistributionConfig:
        """The category's distribution, else the spec's ``"*"`` entry, else the default."""
        found = self.distribution.get(category) or self.distribution.get("*")
        return found if found is not None else DistributionConfig()

    def __attrs_post_init__(self) -> None:
        AgencyInfo(name=self.name, title=self.title, timezone=self.timezone, country=self.country,
                   subdivision=self.subdivision)  # the identity's own checks (slug, zone)
        classes = {c.name for c in self.rates.classes}
        for tier in self.notice.all_tiers():
            if tier.rate_class not in classes:
                raise InputError("notice.tiers.rate_class", tier.rate_class,
                                 f"rate classes are {', '.join(sorted(classes))}")
        seen = set()
        for extra in self.extras:
            if not isinstance(extra, Extra):
                raise InputError("extras", repr(extra), "give Extra values")
            if extra.name in seen:
                raise InputError("extras", extra.name, "extra names must be unique")
            seen.add(extra.name)

    @property
    def info(self) -> AgencyInfo:
        return AgencyInfo(name=self.name, title=self.title, timezone=self.timezone, country=self.country,
                          subdivision=self.subdivision)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def evolve(self, **changes: Any) -> "AgencySpec":
        """A copy with ``changes`` (every check runs again): how an extension plugin or a
        scenario adjusts a spec."""
        return attrs.evolve(self, **changes)


@attrs.frozen(kw_only=True)
class Finding:
    """One line of an agency self-check; ``ok`` False means the sheet disagrees with itself
    or the plugin is inconsistent (a warning, not an error: the published figure is billed)."""

    check: str
    ok: bool
    message: str
