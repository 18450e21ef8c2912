"""Rule value objects an agency plugin returns from its hooks.

Every class here is a frozen attrs value with validators; amounts convert from strings to
``Decimal`` at the boundary.  :class:`AgencyRules` is the resolved, read-only view of one
agency that billing, eligibility and the simulator use.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Mapping

import attrs

from .calendars import HolidayCalendar
from .errors import InputError
from .model import ROLES, AgencyInfo, Request
from .money import ZERO, cents, to_decimal

if TYPE_CHECKING:  # pragma: no cover
    from .model import Event


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


@attrs.frozen(kw_only=True)
class RateClass:
    """One line of a rate sheet: what the vendor is billed per hour (``total``) and the
    officer's ``share`` of it; the admin fee is ``total - share``.

    ``published_fee`` is the fee as the sheet states it, as a fraction of the share (0.11 for
    "11 %"), if it does; the self-check compares ``share x (1 + fee)`` with ``total``.
    ``assumed`` marks a share that the sheet does not publish (an assumption parameter).
    """

    name: str
    label: str
    total: Decimal = attrs.field(converter=_money("total"), validator=_non_negative)
    share: Decimal = attrs.field(converter=_money("share"), validator=_non_negative)
    published_fee: Decimal | None = attrs.field(default=None, converter=_optional_money("published_fee"))
    assumed: bool = False

    @share.validator
    def _share_le_total(self, attribute: attrs.Attribute, value: Decimal) -> None:
        if value > self.total:
            raise InputError(f"rates.{self.name}.share", str(value), f"must not exceed the total {self.total}")

    @property
    def fee(self) -> Decimal:
        return self.total - self.share


def _rate_classes(value: object) -> tuple[RateClass, ...]:
    classes = tuple(value)  # type: ignore[arg-type]
    names = [c.name for c in classes]
    if len(set(names)) != len(names):
        raise InputError("rates", names, "rate class names must be unique")
    if "regular" not in names:
        raise InputError("rates", names, "a rate table needs a 'regular' class")
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


class Applies(str, Enum):
    ALL_HOURS = "all_hours"  # every officer hour billed (Chandler's city workers' comp)
    VEHICLE = "vehicle"  # every officer hour of a request with a marked vehicle


class Per(str, Enum):
    HOUR = "hour"  # total x the slot's billed hours of work
    SLOT = "slot"  # total once for every slot worked
    REQUEST = "request"  # total once for a request with any slot worked


@attrs.frozen(kw_only=True)
class CityCharge:
    """An extra line billed to the vendor with the work: ``city_share`` of it is owed to the
    city, the rest is admin fee (``city_share=0`` makes an operator fee line, such as a
    booking fee).  ``per``: per billed hour (default), per worked slot, or per request."""

    name: str
    label: str
    total: Decimal = attrs.field(converter=_money("total"), validator=_non_negative)
    city_share: Decimal = attrs.field(converter=_money("city_share"), validator=_non_negative)
    applies: Applies = attrs.field(default=Applies.ALL_HOURS, converter=Applies)
    per: Per = attrs.field(default=Per.HOUR, converter=Per)
    published_fee: Decimal | None = attrs.field(default=None, converter=_optional_money("published_fee"))

    @property
    def fee(self) -> Decimal:
        return self.total - self.city_share


@attrs.frozen(kw_only=True)
class NoticeRule:
    """How much notice a request needs.

    ``refuse_below``: less notice than this is refused.  ``emergency_below``: less notice than
    this is accepted but billed at ``emergency_class`` for every hour (where it is the highest).
    Notice is measured from ``received_at`` to the start; exactly the threshold is enough.
    """

    refuse_below: timedelta | None = None
    emergency_below: timedelta | None = None
    emergency_class: str = "emergency"


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


class ShareHours(str, Enum):
    """Which hours a charge bills at the officer's share (and pays the officer)."""

    WORKED = "worked"  # the hours worked, subject to the minimum when any were worked
    WORKED_OR_MINIMUM = "worked_or_minimum"  # the greater of hours worked and the minimum


class FeeHours(str, Enum):
    """Which hours a charge bills the admin fee on."""

    SAME = "same"  # the same hours as the share: billed at the total rate
    FIRST_SCHEDULED = "first_scheduled"  # the first ``fee_hours_cap`` scheduled hours


@attrs.frozen(kw_only=True)
class ChargeRule:
    """What a cancellation or reduction costs the vendor and pays the officer, per slot.

    Normal work is ``ChargeRule()``: hours worked (with the minimum) at the total rate.
    """

    share_hours: ShareHours = attrs.field(default=ShareHours.WORKED, converter=ShareHours)
    fee_hours: FeeHours = attrs.field(default=FeeHours.SAME, converter=FeeHours)
    fee_hours_cap: Decimal = attrs.field(default=Decimal(24), converter=_money("fee_hours_cap"))
    officer_min_hours: Decimal = attrs.field(default=ZERO, converter=_money("officer_min_hours"))
    label: str = ""


class ChangeHandling(str, Enum):
    """What happens when the assigned officer cannot work a moved start time."""

    REPOST = "repost"  # repost the slot; nobody is charged or paid for the move
    CANCEL_AND_REPOST = "cancel_and_repost"  # charge as a cancellation (window rules), then repost


@attrs.frozen(kw_only=True)
class CancellationPolicy:
    """Cancellation, reduction, start-time change and early-release rules.

    ``window``: a cancellation (or reduction) received this long or less before the scheduled
    start is inside the window ("within 48 hours" includes exactly 48 hours).  ``inside`` and
    ``outside`` say what it costs.  ``written_channels``: channels a cancellation may arrive
    by (None: any); ``require_request_id``: the cancellation must quote the request number.
    ``early_release_full_shift``: an officer released early is paid, and the vendor billed,
    the full scheduled shift; otherwise an early release is a reduction inside the window.
    """

    window: timedelta = timedelta(0)
    inside: ChargeRule = ChargeRule()
    outside: ChargeRule = ChargeRule()
    tiers: tuple[tuple[timedelta, ChargeRule], ...] = attrs.field(default=(), converter=tuple)
    written_channels: frozenset[str] | None = attrs.field(default=None, converter=attrs.converters.optional(frozenset))
    require_request_id: bool = False
    early_release_full_shift: bool = False
    unaccepted_change: ChangeHandling = attrs.field(default=ChangeHandling.REPOST, converter=ChangeHandling)

    @tiers.validator
    def _tiers(self, attribute: attrs.Attribute, value: tuple) -> None:
        for item in value:
            if (not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[0], timedelta)
                    or not isinstance(item[1], ChargeRule)):
                raise InputError("cancellation.tiers", item, "give (timedelta, ChargeRule) pairs")

    def rule_for(self, remaining: timedelta) -> tuple[ChargeRule, str]:
        """The charge for a cancellation ``remaining`` before the start, and its tag.

        ``window``/``inside`` is one tier; ``tiers`` adds more windows (e.g. 100 % inside
        24 h, the admin fee only inside 72 h): the narrowest window that contains
        ``remaining`` decides; outside every window, ``outside``.
        """
        windows = [(w, r, "inside-window") for w, r in [(self.window, self.inside)] if w > timedelta(0)]
        windows += [(w, r, f"inside-{int(w.total_seconds() // 3600)}h-window") for w, r in self.tiers]
        for window, rule, tag in sorted(windows, key=lambda t: t[0]):
            if remaining <= window:
                return rule, tag
        return self.outside, "outside-window"


@attrs.frozen(kw_only=True)
class HourCaps:
    """Off-duty hour caps and rest (``None``: no cap).  ``week_start``: 0 = Monday."""

    daily: Decimal | None = attrs.field(default=Decimal(16), converter=_optional_money("daily"))
    weekly: Decimal | None = attrs.field(default=None, converter=_optional_money("weekly"))
    monthly: Decimal | None = attrs.field(default=None, converter=_optional_money("monthly"))
    min_rest: timedelta = timedelta(hours=8)
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


@attrs.frozen(kw_only=True)
class Finding:
    """One line of an agency self-check; ``ok`` False means the sheet disagrees with itself
    or the plugin is inconsistent (a warning, not an error: the published figure is billed)."""

    check: str
    ok: bool
    message: str


@attrs.frozen(kw_only=True)
class AgencyRules:
    """Everything the core knows about one agency, resolved from its plugin's hooks."""

    info: AgencyInfo
    rates: RateTable
    city_charges: tuple[CityCharge, ...] = ()
    holidays: HolidayCalendar | None = None
    notice: NoticeRule = NoticeRule()
    supervisor: SupervisorRule | None = None
    prohibited: Mapping[str, str] = attrs.field(factory=dict, eq=False)
    categories: frozenset[str] = frozenset()
    cancellation: CancellationPolicy = CancellationPolicy()
    unfilled_alert: timedelta | None = None
    caps: HourCaps = HourCaps()
    terms: PaymentTerms = PaymentTerms()
    source: str = "built-in"
    # Hooks that decide per request/hour; bound to this agency's plugin subset.
    hooks: Any = attrs.field(default=None, eq=False, repr=False)
    # How those hooks are called, worked out on first use (see HookPlan).
    _plan: "HookPlan | None" = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def plan(self) -> "HookPlan":
        plan = self._plan
        if plan is None:
            plan = HookPlan(self)
            object.__setattr__(self, "_plan", plan)
        return plan

    def minimum_hours(self, request: Request, role: str) -> Decimal:
        result = self.plan.first("offduty_minimum_hours", (self.info, request, role))
        return to_decimal(result if result is not None else 0, "minimum_hours")

    def rate_class(self, request: Request, role: str, day: date, start: datetime, emergency: bool) -> str:
        plan = self.plan
        holiday = plan.holiday_name(day)
        if plan.default_rate_class:
            # Only the core's default answers: a function of (role, holiday, emergency) alone.
            key = (role, holiday, emergency)
            found = plan.rate_classes.get(key)
            if found is None:
                found = plan.rate_classes[key] = plan.first(
                    "offduty_rate_class", (self.info, self.rates, request, role, day, start, holiday, emergency))
            return found
        return plan.first("offduty_rate_class", (self.info, self.rates, request, role, day, start, holiday, emergency))

    def rate_boundaries(self, request: Request, start: datetime, end: datetime) -> list[datetime]:
        cuts: list[datetime] = []
        for result in self.plan.collect("offduty_rate_boundaries", (self.info, request, start, end)):
            cuts.extend(result or ())
        return cuts

    def holiday_name(self, day: date) -> str | None:
        return self.plan.holiday_name(day)

    def check_request(self, request: Request) -> None:
        """Raise the first :class:`Refusal` any plugin returns for ``request``."""
        for refusal in self.plan.collect("offduty_check_request", (self.info, request, self)):
            if refusal is not None:
                raise refusal

    def check_event(self, request: Request, event: "Event") -> None:
        for refusal in self.plan.collect("offduty_check_event", (self.info, request, event, self)):
            if refusal is not None:
                raise refusal

    def published_total(self, share: Decimal, fee: Decimal) -> Decimal:
        return cents(share * (1 + fee))


#: The per-request hooks :class:`AgencyRules` calls, with their arguments in order.
PER_REQUEST_HOOKS: dict[str, tuple[str, ...]] = {
    "offduty_minimum_hours": ("agency", "request", "role"),
    "offduty_rate_class": ("agency", "rates", "request", "role", "day", "start", "holiday", "emergency"),
    "offduty_rate_boundaries": ("agency", "request", "start", "end"),
    "offduty_check_request": ("agency", "request", "rules"),
    "offduty_check_event": ("agency", "request", "event", "rules"),
}


class HookPlan:
    """How one agency's per-request hooks are called, worked out once per :class:`AgencyRules`
    (billing asks them for every piece of every charge).

    The implementations of each hook in the agency's plugin subset are looked up once
    (``get_hookimpls()``, as pluggy orders them) and called directly, last registered first,
    with the arguments each one names -- what pluggy's own call does, without its per-call
    machinery.  A hook with a wrapper implementation is called through pluggy as before.
    When the core's default is the only ``offduty_rate_class`` (no plugin overrides it), its
    answer depends on the role, the holiday and the emergency flag alone, so answers are
    kept per (role, holiday, emergency); holiday names are kept per day.  Plugins are
    registered before an agency's rules are resolved (the registry resolves them once), so
    the implementations do not change under a plan.
    """

    def __init__(self, rules: "AgencyRules"):
        self.rules = rules
        self.calls: dict[str, tuple] = {}
        self.rate_classes: dict[tuple, str] = {}
        self.holidays: dict[date, str | None] = {}
        self.default_rate_class = False
        self.class_names = frozenset(c.name for c in rules.rates.classes)
        # Billing's memo of priced charge shapes under these rules (see billing._Priced).
        self.charge_shapes: dict[tuple, Any] = {}
        hooks = rules.hooks
        if hooks is None:
            return
        from . import defaults

        for name, argnames in PER_REQUEST_HOOKS.items():
            caller = getattr(hooks, name)
            impls = caller.get_hookimpls()
            if any(impl.hookwrapper or impl.wrapper for impl in impls):
                continue  # wrappers: pluggy's own call
            order = []
            for impl in reversed(impls):
                picks = tuple(argnames.index(a) for a in impl.argnames)
                order.append((impl.function, None if picks == tuple(range(len(argnames))) else picks))
            self.calls[name] = tuple(order)
        rc = self.calls.get("offduty_rate_class")
        self.default_rate_class = (rc is not None and len(rc) == 1
                                   and rc[0][0] is defaults.offduty_rate_class)

    def _slow(self, name: str, args: tuple) -> Any:
        return getattr(self.rules.hooks, name)(**dict(zip(PER_REQUEST_HOOKS[name], args)))

    def first(self, name: str, args: tuple) -> Any:
        """A ``firstresult`` hook: the first answer that is not None."""
        calls = self.calls.get(name)
        if calls is None:
            return self._slow(name, args)
        for function, picks in calls:
            result = function(*args) if picks is None else function(*[args[i] for i in picks])
            if result is not None:
                return result
        return None

    def collect(self, name: str, args: tuple) -> list:
        """A collecting hook: every answer that is not None, in call order."""
        calls = self.calls.get(name)
        if calls is None:
            return self._slow(name, args)
        out = []
        for function, picks in calls:
            result = function(*args) if picks is None else function(*[args[i] for i in picks])
            if result is not None:
                out.append(result)
        return out

    def holiday_name(self, day: date) -> str | None:
        found = self.holidays.get(day, _NO_DAY)
        if found is _NO_DAY:
            calendar = self.rules.holidays
            found = self.holidays[day] = calendar.name_on(day) if calendar else None
        return found


_NO_DAY = object()
