"""An agency's compiled rules: its :class:`~offduty_core.spec.AgencySpec` made ready for the
engine, once per agency.

Compiling turns the spec's money into integer cents, its durations into seconds, its
holidays and local midnights into a :class:`~offduty_core.days.DayTable`, and looks up once
the few hooks an agency may answer per request or per piece of work.  Billing and the job
board then read plain numbers from :class:`AgencyRules`; nothing is asked of a plugin again
for a constant.  A hook that raises is reported as one :class:`PluginError` naming the
agency, the plugin and the hook.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from . import ledger
from .days import DayTable, Piece, from_epoch
from .errors import InputError, OffdutyError, PluginError, Refusal
from .model import ROLES, AgencyInfo, Cancel, Request
from .spec import (AgencySpec, CancellationPolicy, ChargeRule, Extra, HourCaps, NoticeRule, PaymentTerms, RateClass,
                   RateTable, SupervisorRule)


def to_cents(amount: Decimal) -> int:
    """A spec's amount (already checked to be whole cents) as an integer."""
    return int(amount * 100)


def seconds_of(hours: Decimal) -> int:
    """Whole seconds in ``hours`` (minimums and caps are set in hours; a fraction of a second
    rounds down)."""
    return int(hours * 3600)


class Rate(NamedTuple):
    """A rate class in cents: the vendor's ``total``, the officer's ``share``, the ``fee``."""

    name: str
    label: str
    total: int
    share: int
    fee: int
    add_on: bool


class CompiledCharge(NamedTuple):
    """A :class:`~offduty_core.spec.ChargeRule` in cents and seconds."""

    rule: ChargeRule
    fee_cap: int
    officer_min: int
    flat: int
    flat_officer: int


class RatedPiece(NamedTuple):
    """What the ``offduty_rate_class`` hook sees of one piece of billed time.

    ``day``: the local date; ``start``/``end``: local datetimes; ``seconds``; ``offset``:
    seconds of the same interval before this piece (hours worked before it);
    ``holiday``: the listed holiday's label or None; ``notice_class``: the rate class of the
    request's notice tier or None; ``scheduled`` and ``worked``: the slot's scheduled and
    worked intervals as local datetimes (``worked`` is None for a charge with nothing worked).
    """

    day: date
    start: datetime
    end: datetime
    seconds: int
    offset: int
    holiday: str | None
    notice_class: str | None
    scheduled: tuple[datetime, datetime]
    worked: tuple[datetime, datetime] | None


def _hook_error(agency: str, impl: Any, hook: str, exc: BaseException) -> PluginError:
    plugin = getattr(impl, "plugin_name", "?")
    dist = getattr(getattr(impl, "plugin", None), "__offduty_source__", None)
    where = f"plugin {plugin!r}" + (f" ({dist})" if dist else "")
    text = " ".join(str(exc).split()) or type(exc).__name__
    error = PluginError(f"agency {agency!r}: {where} failed in {hook}: {type(exc).__name__}: {text}")
    error.__cause__ = exc
    return error


class AgencyRules:
    """One agency's compiled rules (the plan billing and the job board read).

    The spec's values are kept as they are (``rates``, ``extras``, ``notice``, ...) for the
    words on invoices and checks; the numbers the engine computes with are beside them in
    cents and seconds.
    """

    def __init__(self, spec: AgencySpec, *, categories: frozenset[str] = frozenset(), source: str = "built-in",
                 hooks: Any = None):
        self.spec = spec
        self.info: AgencyInfo = spec.info
        self.name: str = spec.name
        self.tz = spec.tz
        self.source = source
        self.hooks = hooks
        self.categories = categories
        self.rates: RateTable = spec.rates
        self.extras: tuple[Extra, ...] = spec.extras
        self.holidays = spec.holidays
        self.notice: NoticeRule = spec.notice
        self.supervisor: SupervisorRule | None = spec.supervisor
        self.prohibited = spec.prohibited
        self.cancellation: CancellationPolicy = spec.cancellation
        self.unfilled_alert: timedelta | None = spec.cancellation.unfilled_alert
        self.caps: HourCaps = spec.caps
        self.terms: PaymentTerms = spec.terms

        # Money in cents, time in seconds.
        self.classes: dict[str, Rate] = {c.name: _rate(c) for c in spec.rates.classes}
        self.role_class: dict[str, str] = dict(spec.rates.roles)
        self.minimum_s: dict[str, int] = {role: seconds_of(spec.minimum_hours[role]) for role in ROLES}
        self.refuse_below_s = (None if spec.notice.refuse_below is None
                               else int(spec.notice.refuse_below.total_seconds()))
        self.notice_tiers = tuple((int(t.below.total_seconds()), t.rate_class) for t in spec.notice.all_tiers())
        self.days = DayTable(self.tz, spec.holidays, spec.rate_splits.at,
                             tuple(seconds_of(h) for h in spec.rate_splits.after_hours))
        self.prohibited_days: dict[str, str] = dict(spec.prohibited_dates)
        windows = [(spec.cancellation.window, spec.cancellation.inside, "inside-window")] \
            if spec.cancellation.window > timedelta(0) else []
        windows += [(w, r, f"inside-{int(w.total_seconds() // 3600)}h-window") for w, r in spec.cancellation.tiers]
        self.windows = tuple((int(w.total_seconds()), r, tag) for w, r, tag in sorted(windows, key=lambda t: t[0]))
        self._charges: dict[ChargeRule, CompiledCharge] = {}
        #: Each payment method's processing fee as an exact ratio (3 % -> (3, 100)).
        self.method_fees: dict[str, tuple[int, int]] = {
            method: rate.as_integer_ratio() for method, rate in spec.terms.method_fees.items()}
        #: Priced charge shapes by value (see :class:`~offduty_core.pricing.Shape`).
        self.shapes: dict[tuple, Any] = {}
        #: Segments of billed time by (interval, role, notice class), and the id of each
        #: distinct segment tuple (see :class:`~offduty_core.pricing.Pricer`).
        self.segments: dict[tuple, tuple[tuple, int]] = {}
        self.segment_ids: dict[tuple, int] = {}
        self._default_classes: dict[tuple, tuple[str, ...]] = {}
        self._card_fee_texts: dict[str, str] = {}
        self.accounts = tuple(ledger.account(base, self.name)
                              for base in (ledger.CITY_PAYABLE, ledger.ADMIN_FEE, ledger.RETAINED_SHARE))

        # The hooks asked per request or per piece, looked up once.
        self._rate_hooks = self._impls("offduty_rate_class")
        self._request_hooks = self._impls("offduty_check_request")
        self._event_hooks = self._impls("offduty_check_event")
        #: Whether a plugin picks rate classes itself, or checks events.
        self.has_rate_hook = bool(self._rate_hooks)
        self.has_event_hook = bool(self._event_hooks)

    # --- hooks -----------------------------------------------------------------------------

    def _impls(self, name: str) -> tuple:
        if self.hooks is None:
            return ()
        caller = getattr(self.hooks, name)
        return tuple(reversed(caller.get_hookimpls()))  # pluggy's order: last registered first

    def call(self, impl: Any, hook: str, **kwargs: Any) -> Any:
        """Call one implementation with the arguments it names; a failure inside a plugin
        becomes one :class:`PluginError` naming the agency, the plugin and the hook."""
        try:
            return impl.function(*[kwargs[a] for a in impl.argnames])
        except OffdutyError:
            raise
        except Exception as exc:
            raise _hook_error(self.name, impl, hook, exc) from exc

    def check_request(self, request: Request) -> None:
        """Raise the first :class:`Refusal` a plugin returns for ``request``."""
        for impl in self._request_hooks:
            refusal = self.call(impl, "offduty_check_request", agency=self.info, request=request, spec=self.spec)
            if refusal is not None:
                _refusal(refusal, impl, "offduty_check_request", self.name)
                raise refusal

    def check_event(self, request: Request, event: Any) -> None:
        """Raise the first :class:`Refusal` a plugin returns for ``event``, then the spec's own
        requirements of a cancellation."""
        for impl in self._event_hooks:
            refusal = self.call(impl, "offduty_check_event", agency=self.info, request=request, event=event,
                                spec=self.spec)
            if refusal is not None:
                _refusal(refusal, impl, "offduty_check_event", self.name)
                raise refusal
        if type(event) is Cancel:
            self.check_cancel(request, event)

    def check_cancel(self, request: Request, event: Any) -> None:
        """The cancellation policy's channel and request-number requirements."""
        policy = self.cancellation
        if policy.written_channels is not None and event.channel not in policy.written_channels:
            allowed = " or ".join(sorted(policy.written_channels))
            raise Refusal(self.name, "cancellation.in-writing",
                          f"cancellations must be in writing ({allowed}); got one by {event.channel}")
        if policy.require_request_id and event.request_id != request.id:
            quoted = "none" if event.request_id is None else repr(event.request_id)
            raise Refusal(self.name, "cancellation.request-number",
                          f"a cancellation must quote the request number {request.id!r}; it quoted {quoted}")

    # --- rates -----------------------------------------------------------------------------

    def notice_class(self, notice_s: int) -> str | None:
        """The rate class of the narrowest notice tier ``notice_s`` falls under, if any."""
        for below, cls in self.notice_tiers:
            if notice_s < below:
                return cls
        return None

    def default_classes(self, role: str, holiday: str | None, notice_class: str | None) -> tuple[str, ...]:
        """The core's rate for a piece: of the role's class, ``holiday`` on a holiday and the
        notice tier's class, the highest total wins ("where several rates apply to one hour,
        the highest wins"); add-on classes among them are billed on top, after it."""
        classes = self.classes
        best = classes[self.role_class[role]]
        add_ons: list[str] = []
        for name in (("holiday" if holiday else None), notice_class):
            if name is None or name not in classes:
                continue
            cls = classes[name]
            if cls.add_on:
                if name not in add_ons:
                    add_ons.append(name)
            elif cls.total > best.total:
                best = cls
        return (best.name, *add_ons) if add_ons else (best.name,)

    def rate_classes(self, request: Request, role: str, piece: Piece, notice_class: str | None,
                     scheduled: tuple[int, int], worked: tuple[int, int] | None) -> tuple[str, ...]:
        """The classes a piece bills at: the agency's hook's answer, else the core's."""
        if self._rate_hooks:
            local = self.local
            seen = RatedPiece(piece.day, local(piece.start), local(piece.end), piece.end - piece.start, piece.offset,
                              piece.holiday, notice_class, (local(scheduled[0]), local(scheduled[1])),
                              None if worked is None else (local(worked[0]), local(worked[1])))
            for impl in self._rate_hooks:
                answer = self.call(impl, "offduty_rate_class", agency=self.info, rates=self.rates, request=request,
                                   role=role, piece=seen)
                if answer is not None:
                    return self._check_classes(answer, impl)
        key = (role, piece.holiday, notice_class)
        found = self._default_classes.get(key)
        if found is None:
            found = self._default_classes[key] = self.default_classes(role, piece.holiday, notice_class)
        return found

    def _check_classes(self, answer: Any, impl: Any) -> tuple[str, ...]:
        names = (answer,) if isinstance(answer, str) else tuple(answer) if isinstance(answer, (tuple, list)) else None
        ok = bool(names) and all(isinstance(n, str) and n in self.classes for n in names)
        if ok and (self.classes[names[0]].add_on or any(not self.classes[n].add_on for n in names[1:])):
            ok = False
        if not ok:
            raise PluginError(f"agency {self.name!r}: plugin {impl.plugin_name!r}: offduty_rate_class returned "
                              f"{answer!r}; give a base class name, or a tuple of a base class and add-on "
                              f"classes, from: {', '.join(self.classes)}")
        return names

    def local(self, instant: int) -> datetime:
        return from_epoch(instant).astimezone(self.tz)

    def charge(self, rule: ChargeRule) -> CompiledCharge:
        found = self._charges.get(rule)
        if found is None:
            found = self._charges[rule] = CompiledCharge(rule, seconds_of(rule.fee_hours_cap),
                                                         seconds_of(rule.officer_min_hours), to_cents(rule.flat),
                                                         to_cents(rule.flat_officer))
        return found

    def method_fee(self, method: str) -> tuple[int, int]:
        """``method``'s processing fee as (numerator, denominator), or refused by name."""
        found = self.method_fees.get(method)
        if found is None:
            self.terms.method_fee(method)  # raises the one-line refusal naming the methods
        return found

    def card_fee_text(self, method: str) -> str:
        """'card processing fee 3 %': the words of a payment method's fee line."""
        found = self._card_fee_texts.get(method)
        if found is None:  # kept: every card-paid bill of a year asks again
            rate = self.terms.method_fee(method)
            found = self._card_fee_texts[method] = f"{method} processing fee {rate * 100:.2f} %".replace(".00 %", " %")
        return found

    def window_rule(self, remaining_s: int) -> tuple[ChargeRule, str]:
        """The charge for a cancellation ``remaining_s`` before the start, and its tag."""
        for window, rule, tag in self.windows:
            if remaining_s <= window:
                return rule, tag
        return self.cancellation.outside, "outside-window"

    def holiday_name(self, day: date) -> str | None:
        return self.days.holiday(day)

    def prohibited_day(self, day: date) -> str | None:
        """The reason work on local date ``day`` is prohibited, if it is."""
        days = self.prohibited_days
        if not days:
            return None
        return days.get(day.isoformat()) or days.get(day.isoformat()[5:])

    def minimum_hours(self, request: Request, role: str) -> Decimal:
        return self.spec.minimum_hours[role]

    def __repr__(self) -> str:
        return f"<AgencyRules {self.name} ({self.source})>"


def _rate(cls: RateClass) -> Rate:
    return Rate(cls.name, cls.label, to_cents(cls.total), to_cents(cls.share), to_cents(cls.fee), cls.add_on)


def _refusal(value: Any, impl: Any, hook: str, agency: str) -> None:
    if not isinstance(value, Refusal):
        raise PluginError(f"agency {agency!r}: plugin {impl.plugin_name!r}: {hook} must return a Refusal or None, "
                          f"got {type(value).__name__}")


def compile_rules(spec: AgencySpec, *, categories: frozenset[str] = frozenset(), source: str = "built-in",
                  hooks: Any = None) -> AgencyRules:
    """Compile ``spec`` into the rules the engine reads, checking it against the categories
    the installed plugins know."""
    unknown = sorted(set(spec.prohibited) - categories) if categories else []
    if unknown:
        raise InputError("prohibited", unknown[0], f"categories are {', '.join(sorted(categories))}")
    return AgencyRules(spec, categories=categories, source=source, hooks=hooks)


__all__ = ["AgencyRules", "CompiledCharge", "Rate", "RatedPiece", "compile_rules", "seconds_of", "to_cents"]
