"""Distribution: how a posted shift reaches officers, and the contract a method plugin meets.

An agency picks a method and its parameters per job category through the
``offduty_distribution`` hook (:mod:`offduty_core.distribution_hookspecs`), returning a
:class:`DistributionConfig`; without one a shift is released to every eligible officer at
once (``immediate-release``).  Methods are classes registered by plugins through
``offduty_register_distribution_methods``; the five built-in ones live in
``offduty_plugins.distribution``.

Posting in stages
-----------------

A shift is first posted to its own agency's officers (only those holding ``group``, when a
group is set).  ``backup_agencies`` (and, with a group, the rest of the agency) are added when
``release_after`` has passed since posting, or when the shift is still unfilled
``release_before_start`` before its start, whichever comes first.  Window methods rank the
first stage's applicants before the back-up stage's.

The method contract
-------------------

The job board (:mod:`offduty_core.lifecycle`) owns time, records and bookings; a method only
decides.  It is called with the board's :class:`Desk` and the shift's :class:`Posting`:

``on_post``      the shift was posted (or reposted after a drop or a moved start);
``on_apply``     an eligible officer in the audience applied, bid or accepted;
``on_decline``   an officer declined an offer;
``on_timer``     a wake-up the method asked for (``desk.wake``) is due;
``on_stage``     the back-up stage opened;
``on_filled``    the shift was awarded (any way);
``on_closed``    the shift left distribution (filled, cancelled, unfilled).

and acts through the desk: ``award``, ``offer``, ``wake``, ``release`` (first come, first
served from now on), ``refuse``.  It asks ``why_not`` for the worded reason an officer may not
take a shift (to refuse or record it), and ``objection`` for only the rule's name, which is
cheaper when an officer is merely skipped; ``fixed_objection`` tells whether that refusal
stands while the posting keeps its shift and stage (so a method walking the same list again
may pass the officer over unasked).  Once released, the board itself awards the first eligible
officer who accepts.  A method never scans the roster: it uses the roster's indexed pools and
its own ordered structures.
"""

from __future__ import annotations

import math
import weakref
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

import attrs

from .eligibility import Reason, Rule, Shift, ShiftKey
from .errors import InputError, PluginError
from .staffing import MAX_HOURS, DistributionConfig
from .officers import Officer, Rank, Roster

SSO = "sso"


def lookback_text(kind: str, value: int) -> str:
    """A look-back value as a coordinator reads it: ``12 h this year``, ``2 jobs this year``."""
    from .eligibility import fmt_h

    if kind == "job_count":
        return f"{value} job{'s' if value != 1 else ''} this year"
    return f"{fmt_h(value)} {'this year' if kind == 'year_to_date' else 'in the last 30 days'}"


def ranks_for(role: str) -> frozenset[Rank] | None:
    """A supervisor slot needs supervisor rank; officer and scribe slots take any rank."""
    return frozenset({Rank.SUPERVISOR}) if role == "supervisor" else None


# --- parameters -------------------------------------------------------------------------

#: The longest window, release or response time in hours (a leap year): longer ones are
#: surely a slip, and far longer ones overflow the calendar.


@attrs.frozen(kw_only=True)
class Param:
    """One documented parameter of a method: its kind, default, allowed values, meaning."""

    name: str
    kind: type  # int, float, str, bool
    default: Any
    doc: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    optional: bool = False  # None allowed (means "off")
    maximum: float | None = None

    def convert(self, value: Any, field: str) -> Any:
        if value is None and (self.optional or self.default is None):
            return None
        if self.choices is not None:
            if value not in self.choices:
                raise InputError(field, value, f"choose one of {', '.join(self.choices)}")
            return value
        if self.kind is bool:
            if not isinstance(value, bool):
                raise InputError(field, value, "must be true or false")
            return value
        if self.kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                raise InputError(field, value, f"must be a number{'' if self.kind is float else ' (whole)'}")
            if self.kind is int and int(value) != value:
                raise InputError(field, value, "must be a whole number")
            value = self.kind(value)
            if not math.isfinite(value):
                raise InputError(field, value, "must be a finite number")
            if self.minimum is not None and value < self.minimum:
                raise InputError(field, value, f"must be >= {self.minimum:g}")
            if self.maximum is not None and value > self.maximum:
                raise InputError(field, value, f"must be <= {self.maximum:g}")
            return value
        if not isinstance(value, self.kind):
            raise InputError(field, value, f"must be a {self.kind.__name__}")
        return value


def validate_params(method: str, spec: Sequence[Param], given: Mapping[str, Any],
                    field: str = "distribution.params") -> dict[str, Any]:
    known = {p.name: p for p in spec}
    for key in given:
        if key not in known:
            names = ", ".join(known) or "none"
            raise InputError(f"{field}.{key}", given[key], f"unknown parameter of {method}; its parameters are {names}")
    return {name: p.convert(given[name], f"{field}.{name}") if name in given else p.default
            for name, p in known.items()}


# --- configuration ----------------------------------------------------------------------


# --- postings and the desk --------------------------------------------------------------


@attrs.define(eq=False)
class Posting:
    """The distribution state of one shift (mutable; the board owns it)."""

    shift: Shift
    config: DistributionConfig
    method: "DistributionMethod"
    posted_at: datetime
    version: int = 0
    status: str = "open"  # open, filled, cancelled, unfilled
    mode: str = "method"  # method, first_come
    officer: str | None = None
    stage: int = 0
    stage_opens_at: datetime | None = None
    applicants: list[str] = attrs.Factory(list)
    backups: list[str] = attrs.Factory(list)
    offered: set[str] = attrs.Factory(set)
    pending: str | None = None
    deadline: datetime | None = None
    data: dict[str, Any] = attrs.Factory(dict)
    #: The board's eligibility rules for this posting (core, its agency's, its method's),
    #: kept here the first time the board asks (the shift's agency and the method never
    #: change), so a question about an officer needs no look-up.  The board's; a method
    #: asks the desk.
    eligibility: Any = attrs.field(default=None, init=False, repr=False)

    @property
    def key(self) -> ShiftKey:
        return self.shift.key

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def audience_agencies(self) -> tuple[str, ...]:
        if self.stage == 0:
            return (self.shift.agency,)
        return (self.shift.agency,) + tuple(a for a in self.config.backup_agencies if a != self.shift.agency)

    def stage_of(self, officer: Officer) -> int | None:
        """0 when ``officer`` is in the first posting stage, 1 in the back-up stage, None if
        in neither (whether or not that stage is open yet)."""
        if officer.agency == self.shift.agency:
            if self.config.group is None or self.config.group in officer.qualifications:
                return 0
            return 1
        if officer.agency in self.config.backup_agencies:
            return 1
        return None


class Desk(Protocol):
    """What the job board offers a method (see the module docstring)."""

    now: datetime
    roster: Roster

    def why_not(self, posting: Posting, officer: Officer) -> Reason | None: ...
    def objection(self, posting: Posting, officer: Officer) -> str | None: ...
    def fixed_objection(self, posting: Posting, officer: Officer) -> bool: ...
    def award(self, posting: Posting, badge: str, basis: str) -> Reason | None: ...
    def offer(self, posting: Posting, badge: str, deadline: datetime, basis: str) -> None: ...
    def wake(self, posting: Posting, at: datetime, tag: Any) -> None: ...
    def release(self, posting: Posting, why: str) -> None: ...
    def refuse(self, posting: Posting, badge: str, reason: str) -> None: ...
    def lapsed(self, posting: Posting, badge: str) -> None: ...
    def shared(self, key: Any, factory: Callable[[], Any]) -> Any: ...
    def lookback(self, officer: Officer, kind: str) -> int: ...
    def pool(self, posting: Posting, stage: int = 0) -> tuple[Officer, ...]: ...


class DistributionMethod:
    """Base class of a distribution method; override the ``on_*`` calls you need.

    ``name`` is the registered name; ``parameters`` documents and validates the params an
    agency may give (``params`` holds them, defaults filled in).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    parameters: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, agency: str, params: Mapping[str, Any] | None = None):
        self.agency = agency
        self.params = validate_params(self.name, self.parameters, params or {})

    def rules(self) -> tuple[Rule, ...]:
        """Extra eligibility rules this method adds (immediate release's jobs-per-day cap)."""
        return ()

    def on_post(self, desk: Desk, posting: Posting) -> None:
        desk.release(posting, "")

    def on_apply(self, desk: Desk, posting: Posting, badge: str, preference: int | None = None) -> None:
        desk.award(posting, badge, "first to accept")

    def on_decline(self, desk: Desk, posting: Posting, badge: str) -> None:
        return None

    def on_timer(self, desk: Desk, posting: Posting, tag: Any) -> None:
        return None

    def on_stage(self, desk: Desk, posting: Posting) -> None:
        return None

    def on_filled(self, desk: Desk, posting: Posting, badge: str) -> None:
        return None

    def on_closed(self, desk: Desk, posting: Posting) -> None:
        return None

    # --- explain ------------------------------------------------------------------------

    def preference(self, desk: Desk, posting: Posting, officers: Sequence[Officer]) -> list[Officer]:
        """``officers`` in the order this method would favour them (for ``offduty explain``)."""
        return sorted(officers, key=lambda o: o.seniority)

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params.items() if v is not None)
        return f"{self.name}" + (f" ({params})" if params else "")


class WindowMethod(DistributionMethod):
    """A sign-up window, then an award by :meth:`order` among the applicants; the others stay
    as back-ups in that order; no eligible applicant: released first come, first served."""

    WINDOW_PARAMS: ClassVar[tuple[Param, ...]] = (
        Param(name="window_hours", kind=float, default=24.0, minimum=0, maximum=MAX_HOURS,
              doc="how long the sign-up window stays open after posting"),
        Param(name="close_before_start_hours", kind=float, default=2.0, minimum=0, maximum=MAX_HOURS,
              doc="the window closes at the latest this long before the start; a shift posted "
                  "later than that is released first come, first served at once"),
    )
    basis_label: ClassVar[str] = "by order"

    #: Each officer's :attr:`~offduty_core.officers.Officer.seniority` by badge, with the officer
    #: it is for (see :meth:`seniority`); made per method instance on first use.
    _seniority: dict[str, tuple[Officer, tuple]] | None = None

    def order_key(self, desk: Desk, posting: Posting, officer: Officer) -> tuple:
        raise NotImplementedError

    def seniority(self, officer: Officer) -> tuple:
        """``officer.seniority``, worked out once per officer: every window close sorts its
        applicants by it (ties, for fairness), and an officer applies to many windows.  An
        Officer is frozen, so the key stands while the same object is asked about."""
        kept = self._seniority
        if kept is None:
            kept = self._seniority = {}
        found = kept.get(officer.badge)
        if found is None or found[0] is not officer:
            found = kept[officer.badge] = (officer, officer.seniority)
        return found[1]

    def order(self, desk: Desk, posting: Posting, officers: Sequence[Officer]) -> list[Officer]:
        return sorted(officers, key=lambda o: (posting.stage_of(o) or 0, self.order_key(desk, posting, o)))

    def preference(self, desk: Desk, posting: Posting, officers: Sequence[Officer]) -> list[Officer]:
        return self.order(desk, posting, officers)

    def close_time(self, posting: Posting, now: datetime) -> datetime:
        window = timedelta(hours=self.params["window_hours"])
        latest = posting.shift.start - timedelta(hours=self.params["close_before_start_hours"])
        return min(now + window, latest)

    def on_post(self, desk: Desk, posting: Posting) -> None:
        close = self.close_time(posting, desk.now)
        if close <= desk.now:
            desk.release(posting, f"posted too close to the start for a {self.name} sign-up window")
            return
        posting.data["closes_at"] = close
        desk.wake(posting, close, "close")

    def on_apply(self, desk: Desk, posting: Posting, badge: str, preference: int | None = None) -> None:
        posting.applicants.append(badge)

    def on_timer(self, desk: Desk, posting: Posting, tag: Any) -> None:
        if tag != "close":
            return
        self.close(desk, posting)

    def close(self, desk: Desk, posting: Posting) -> None:
        if not posting.applicants:
            desk.release(posting, "no applicant when the sign-up window closed")
            return
        officers = [desk.roster.get(b) for b in posting.applicants]
        ranked = self.order(desk, posting, officers)
        passed = []
        for i, officer in enumerate(ranked):
            reason = desk.why_not(posting, officer)
            if reason is None:
                basis = self.basis(desk, posting, officer, len(ranked))
                desk.award(posting, officer.badge, basis)
                posting.backups = [o.badge for o in ranked if o.badge != officer.badge]
                return
            passed.append(reason)
            desk.refuse(posting, officer.badge, f"passed over at the window close: {reason}")
        desk.release(posting, f"none of the {len(ranked)} applicant{'s' if len(ranked) != 1 else ''} "
                              "was still eligible when the window closed")

    def basis(self, desk: Desk, posting: Posting, officer: Officer, n: int) -> str:
        return f"{self.basis_label} of {n} applicant{'s' if n != 1 else ''}"


# --- the method registry ----------------------------------------------------------------

_METHODS: "weakref.WeakKeyDictionary[Any, dict[str, type[DistributionMethod]]]" = weakref.WeakKeyDictionary()


def installed_methods(pm: Any) -> dict[str, type[DistributionMethod]]:
    """Every method registered through ``offduty_register_distribution_methods`` (cached
    per plugin manager).  Duplicate names and non-method classes are plugin errors."""
    cached = _METHODS.get(pm)
    if cached is not None:
        return cached
    found: dict[str, type[DistributionMethod]] = {}
    owners: dict[str, str] = {}
    for impl in pm.hook.offduty_register_distribution_methods.get_hookimpls():
        def register(name: str, method: type, _owner: str = impl.plugin_name) -> None:
            if not isinstance(name, str) or not name or name != name.lower() or " " in name:
                raise PluginError(f"plugin {_owner!r}: distribution method name {name!r}: use lower-case words "
                                  "joined by '-'")
            if not (isinstance(method, type) and issubclass(method, DistributionMethod)):
                raise PluginError(f"plugin {_owner!r}: distribution method {name!r} must be a DistributionMethod "
                                  f"subclass, got {method!r}")
            if name in found:
                raise PluginError(f"distribution method {name!r} is registered twice: by plugin "
                                  f"{owners[name]!r} and by plugin {_owner!r}")
            found[name] = method
            owners[name] = _owner

        impl.function(register=register)
    _METHODS[pm] = found
    return found


def method_class(pm: Any, name: str) -> type[DistributionMethod]:
    methods = installed_methods(pm)
    try:
        return methods[name]
    except KeyError:
        raise InputError("distribution.method", name,
                         f"installed methods are {', '.join(sorted(methods)) or 'none'}") from None


def config_for(rules: Any, category: str) -> DistributionConfig:
    """The agency's :class:`DistributionConfig` for ``category``, from its spec."""
    return rules.spec.distribution_for(category)


def qualifications_for(rules: Any, category: str, role: str) -> frozenset[str]:
    """The qualifications an officer needs for ``category`` jobs, from the agency's spec."""
    return rules.spec.qualifications.get(category, frozenset())


def agency_rules(rules: Any) -> tuple[Rule, ...]:
    """The extra eligibility rules the agency's plugins register."""
    from .eligibility import check_rules

    collected: list[Rule] = []
    rules.hooks.offduty_eligibility_rules(agency=rules.info, register=collected.append)
    check_rules(collected)
    return tuple(collected)
