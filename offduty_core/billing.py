"""Billing: a pure function of (agency rules, request, events).

:func:`admit` validates a request against the agency's rules and lays out its slots;
:func:`bill` replays the job's events slot by slot into *charges* (work done, a
cancellation, a reduction) and prices each charge with the agency's
:class:`~offduty_core.rules.ChargeRule`.  The result is a :class:`Bill`: invoice lines to the
vendor, pay lines to officers, lines owed to the city, every one naming the rule that
produced it, and one balanced ledger transaction per charge.

Conventions (documented in README "Billing conventions"):

* Hours are real elapsed seconds, split at local midnight; each piece gets the rate class
  the agency's ``offduty_rate_class`` hook picks (highest of role, holiday, emergency).
* Minimum top-up hours bill at the highest class among the hours worked.
* A charge with nothing worked (a cancellation) draws its hours from the start of the
  scheduled shift, so a cancelled holiday shift is charged at the holiday rate.
* Each line's amount is its rate times its exact hours, rounded half up to the cent once;
  the officer's share inside a total-rate line is computed the same way, so an officer's pay
  line always equals the share billed for it.
* City lines (vehicle, workers' comp) apply to the hours billed for work, and to the hours
  actually worked for a cancellation or reduction charge.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable, Sequence

import attrs

from . import ledger
from .errors import InputError, Refusal
from .model import (ROLES, Assign, Cancel, ChangeStart, Clock, Drop, Event, NoShow, Release, Request, Slot,
                    Unfilled)
from .money import ZERO, amount_for, cents, fmt, fmt_hours, hours_from_seconds, seconds_from_hours
from .rules import AgencyRules, Applies, CityCharge, PaymentTerms, Per, ChangeHandling, ChargeRule, FeeHours, RateClass, ShareHours
from .timeutil import fmt_local, split_pieces

MAX_REQUEST_SPAN = timedelta(days=31)
WORK = ChargeRule(label="hours worked at the total rate")


# --- admission ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Admission:
    """A request the agency accepts: its slots and how it is rated."""

    request: Request
    slots: tuple[Slot, ...]
    notice: timedelta
    emergency: bool
    notes: tuple[str, ...] = ()


def fmt_duration(delta: timedelta) -> str:
    """'10 h', '71 h 59 min', '-2 h' for messages."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    if minutes:
        return f"{sign}{hours} h {minutes} min"
    return f"{sign}{hours} h"


def admit(rules: AgencyRules, request: Request) -> Admission:
    """Validate ``request`` against ``rules`` and lay out its slots, or raise."""
    name = rules.name
    if request.category not in rules.categories:
        raise InputError("request.category", request.category,
                         f"categories are {', '.join(sorted(rules.categories))}")
    if request.category in rules.prohibited:
        raise Refusal(name, f"prohibited-category.{request.category}",
                      f"{request.category} jobs are prohibited: {rules.prohibited[request.category]}")
    if request.position_count == 0:
        raise InputError("request.positions", dict(request.positions), "ask for at least one position")
    for role in ROLES:
        if request.positions[role] and role not in rates_roles(rules):
            offered = ", ".join(r for r in ROLES if r in rates_roles(rules))
            raise Refusal(name, "roles", f"the agency has no rate for {role} positions; roles offered: {offered}")
    if request.end - request.start > MAX_REQUEST_SPAN:
        raise InputError("request.end", request.end.isoformat(timespec="minutes"),
                         "a request may span at most 31 days; split longer events into several requests")
    if request.approved_at is not None and request.approved_at < request.received_at:
        raise InputError("request.approved_at", request.approved_at.isoformat(timespec="minutes"),
                         "must not be before received_at")

    notice = request.start - request.received_at
    rule = rules.notice
    if rule.refuse_below is not None and notice < rule.refuse_below:
        raise Refusal(name, "notice", f"requests need {fmt_duration(rule.refuse_below)} notice; "
                                      f"this one gave {fmt_duration(notice)}")
    emergency = rule.emergency_below is not None and notice < rule.emergency_below
    notes: list[str] = []
    if emergency:
        notes.append(f"received {fmt_duration(notice)} before the start, under the "
                     f"{fmt_duration(rule.emergency_below)} notice: billed at the {rule.emergency_class} rate "
                     f"where it is the highest")

    counts = dict(request.positions)
    added = 0
    sup = rules.supervisor
    if sup is not None and counts["supervisor"] == 0 and sup.count(counts["officer"]):
        added = sup.count(counts["officer"])
        notes.append(f"{counts['officer']} officers requested (threshold {sup.officers_at_least}): "
                     f"{added} supervisor position added")
    rules.check_request(request)

    slots: list[Slot] = []
    for role in ROLES:
        for _ in range(counts[role]):
            slots.append(Slot(index=len(slots), role=role))
        if role == "supervisor":
            for _ in range(added):
                slots.append(Slot(index=len(slots), role="supervisor",
                                  added_by_rule=f"supervisor-threshold.{sup.officers_at_least}"))
    return Admission(request=request, slots=tuple(slots), notice=notice, emergency=emergency, notes=tuple(notes))


def rates_roles(rules: AgencyRules) -> dict[str, str]:
    return dict(rules.rates.roles)


# --- replaying events into charges ------------------------------------------------------


@attrs.frozen(kw_only=True)
class Charge:
    """Something a slot is billed for: work, a cancellation or a reduction."""

    slot: Slot
    officer: str
    kind: str  # "work", "cancel", "reduce", "change"
    rule: ChargeRule
    rule_id: str
    scheduled: tuple[datetime, datetime]  # the scheduled assignment the charge refers to
    worked: tuple[datetime, datetime] | None  # hours worked (or billed as worked)
    note: str = ""


@attrs.define
class _SlotState:
    slot: Slot
    officer: str
    sched: tuple[datetime, datetime]
    status: str = "open"  # open, cancelled, unfilled, no_show
    release_at: datetime | None = None
    clock: tuple[datetime, datetime] | None = None
    reduction: tuple[ChargeRule, str, tuple[datetime, datetime]] | None = None  # (rule, window tag, original)
    barred: set[str] = attrs.Factory(set)
    charges: list[Charge] = attrs.Factory(list)
    history: list[str] = attrs.Factory(list)


def _slot_label(slot: Slot) -> str:
    return f"slot-{slot.index}"


def _ordered(events: Sequence[Event], request: Request) -> list[tuple[int, Event]]:
    """Events in time order.  An event without a time (an ``assign`` with no ``at``,
    ``unfilled``, ``no_show``) keeps its place after the event listed before it."""
    keyed = []
    last = request.received_at
    for index, event in enumerate(events):
        when = event.when
        if when is not None:
            last = when
        keyed.append((when if when is not None else last, index, event))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [(index, event) for _, index, event in keyed]


def replay(rules: AgencyRules, admission: Admission, events: Sequence[Event]) -> list[_SlotState]:
    """Apply ``events`` in time order; return each slot's final state with its charges."""
    request = admission.request
    tz = rules.info.tz
    policy = rules.cancellation
    states = [_SlotState(slot=s, officer=_slot_label(s), sched=(request.start, request.end))
              for s in admission.slots]
    n = len(states)

    def targets(index: int, event: Event, field_slots: tuple[int, ...] | None) -> list[_SlotState]:
        chosen = range(n) if field_slots is None else field_slots
        for s in chosen:
            if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < n:
                raise InputError(f"events[{index}].slot", s, f"slots are 0..{n - 1} for this request")
        return [states[s] for s in chosen]

    def single(index: int, slot: int) -> _SlotState:
        if type(slot) is int and 0 <= slot < n:
            return states[slot]
        return targets(index, None, (slot,))[0]  # type: ignore[arg-type]

    def window_note(remaining: timedelta, tag: str) -> str:
        where = "outside every window" if tag == "outside-window" else tag.replace("-", " ")
        return f"{fmt_duration(remaining)} before the start, {where}"

    for index, event in _ordered(events, request):
        if event.when is not None and event.when < request.received_at:
            raise InputError(f"events[{index}].{'in' if isinstance(event, Clock) else 'at'}",
                             fmt_local(event.when, tz),
                             f"must not be before the request was received ({fmt_local(request.received_at, tz)})")
        rules.check_event(request, event)
        if isinstance(event, Cancel):
            for st in targets(index, event, event.slots):
                if st.status in ("unfilled", "no_show"):
                    continue
                if st.status == "cancelled":
                    if event.slots is None:
                        continue  # a whole-request cancellation after some slots were cancelled
                    raise InputError(f"events[{index}].slots", st.slot.index, f"slot {st.slot.index} is already cancelled")
                start, end = st.sched
                if event.at < request.approved:
                    st.status = "cancelled"
                    st.history.append("cancelled before approval: no charge")
                elif event.at <= start:
                    remaining = start - event.at
                    rule, tag = policy.rule_for(remaining)
                    st.status = "cancelled"
                    st.charges.append(Charge(
                        slot=st.slot, officer=st.officer, kind="cancel", rule=rule,
                        rule_id=f"cancellation.{tag}", scheduled=st.sched, worked=None,
                        note=f"cancelled by {event.channel} {window_note(remaining, tag)}"))
                elif event.at < end:
                    st.release_at = event.at if st.release_at is None else min(st.release_at, event.at)
                    st.history.append(f"cancelled after the start ({fmt_local(event.at, tz)}): an early release")
                else:
                    raise InputError(f"events[{index}].at", fmt_local(event.at, tz),
                                     f"slot {st.slot.index} ended at {fmt_local(end, tz)}; it can no longer be cancelled")
        elif isinstance(event, ChangeStart):
            for st in targets(index, event, event.slots):
                if st.status != "open":
                    continue
                start, end = st.sched
                if event.at >= start:
                    raise InputError(f"events[{index}].at", fmt_local(event.at, tz),
                                     f"a start-time change must come before the shift starts ({fmt_local(start, tz)})")
                if event.end - event.start > MAX_REQUEST_SPAN:
                    raise InputError(f"events[{index}].end", fmt_local(event.end, tz), "a shift may span at most 31 days")
                remaining = start - event.at
                rule, tag = policy.rule_for(remaining)
                if event.officer_accepts:
                    if (event.end - event.start) < (end - start) and st.reduction is None:
                        st.reduction = (rule, tag, st.sched)
                    st.history.append(f"moved to {fmt_local(event.start, tz)}-{fmt_local(event.end, tz)}; officer accepted")
                    st.sched = (event.start, event.end)
                    continue
                if policy.unaccepted_change is ChangeHandling.CANCEL_AND_REPOST:
                    st.charges.append(Charge(
                        slot=st.slot, officer=st.officer, kind="change", rule=rule,
                        rule_id=f"start-change.{tag}", scheduled=st.sched, worked=None,
                        note=f"start moved {window_note(remaining, tag)}; the officer could not work it: "
                             f"cancelled and reposted"))
                st.barred.add(st.officer)
                st.history.append(f"moved to {fmt_local(event.start, tz)}; {st.officer} declined and is barred; reposted")
                st.officer = f"{_slot_label(st.slot)}-repost"
                st.sched = (event.start, event.end)
        elif isinstance(event, Release):
            st = single(index, event.slot)
            if st.status != "open":
                raise InputError(f"events[{index}]", "release", f"slot {st.slot.index} is {st.status}")
            start, end = st.sched
            if not start < event.at < end:
                raise InputError(f"events[{index}].at", fmt_local(event.at, tz),
                                 f"a release must fall inside the shift ({fmt_local(start, tz)} to {fmt_local(end, tz)})")
            st.release_at = event.at
        elif isinstance(event, Clock):
            st = single(index, event.slot)
            if st.status != "open":
                raise InputError(f"events[{index}]", "clock", f"slot {st.slot.index} is {st.status}; it was not worked")
            if st.clock is not None:
                raise InputError(f"events[{index}]", "clock", f"slot {st.slot.index} already has a clock record")
            if event.clock_out - event.clock_in > MAX_REQUEST_SPAN:
                raise InputError(f"events[{index}].out", fmt_local(event.clock_out, tz), "a shift may span at most 31 days")
            st.clock = (event.clock_in, event.clock_out)
        elif isinstance(event, Drop):
            st = single(index, event.slot)
            st.history.append(f"{event.officer or st.officer} dropped at {fmt_local(event.at, tz)}; reposted")
            st.officer = f"{_slot_label(st.slot)}-repost"
        elif isinstance(event, Assign):
            st = single(index, event.slot)
            if event.officer in st.barred:
                raise Refusal(rules.name, "repost.barred",
                              f"officer {event.officer} could not work the new start time of slot "
                              f"{st.slot.index} and may not take its repost")
            st.officer = event.officer
        elif isinstance(event, (Unfilled, NoShow)):
            st = single(index, event.slot)
            if st.status == "open":
                st.status = "unfilled" if isinstance(event, Unfilled) else "no_show"
        else:  # pragma: no cover - the story parser only builds the classes above
            raise InputError(f"events[{index}]", type(event).__name__, "unknown event")

    for st in states:
        if st.status != "open":
            continue
        start, end = st.sched
        if st.clock is not None:
            worked = st.clock
            if st.release_at is not None and st.release_at < worked[1] and st.release_at > worked[0]:
                worked = (worked[0], st.release_at)
        else:
            worked = (start, st.release_at or end)
        if st.release_at is not None:
            if policy.early_release_full_shift:
                billed = (worked[0], max(end, worked[1]))
                st.charges.append(Charge(slot=st.slot, officer=st.officer, kind="work", rule=WORK,
                                         rule_id="early-release.full-shift", scheduled=st.sched, worked=billed,
                                         note=f"released at {fmt_local(st.release_at, tz)}: the full shift is billed and paid"))
            else:
                original = st.reduction[2] if st.reduction else st.sched
                rule, tag = policy.rule_for(timedelta(0))  # after the start: inside every window
                st.charges.append(Charge(slot=st.slot, officer=st.officer, kind="reduce", rule=rule,
                                         rule_id=f"reduction.{tag}", scheduled=original, worked=worked,
                                         note=f"released at {fmt_local(st.release_at, tz)}: a reduction after the start"))
        elif st.reduction is not None:
            rule, tag, original = st.reduction
            st.charges.append(Charge(slot=st.slot, officer=st.officer, kind="reduce", rule=rule,
                                     rule_id=f"reduction.{tag}", scheduled=original, worked=worked,
                                     note=f"shortened: {tag.replace('-', ' ')}"))
        else:
            st.charges.append(Charge(slot=st.slot, officer=st.officer, kind="work", rule=WORK,
                                     rule_id="work", scheduled=st.sched, worked=worked))
    return states


# --- pricing ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Line:
    """One line of the bill.  ``party`` is who it concerns: ``vendor`` (invoice), ``officer``
    (pay), ``city`` (owed to the city).  Vendor lines carry how their amount splits into
    officer share, admin fee and city money (``share + fee + city + card == amount``)."""

    party: str
    description: str
    amount: Decimal
    rule: str
    seconds: int | None = None
    rate: Decimal | None = None
    slot: int | None = None
    officer: str | None = None
    rate_class: str | None = None
    share: Decimal = ZERO
    fee: Decimal = ZERO
    city: Decimal = ZERO
    card: Decimal = ZERO

    def to_dict(self) -> dict:
        out = {
            "party": self.party,
            "description": self.description,
            "hours": fmt_hours(self.seconds) if self.seconds is not None else None,
            "rate": fmt(self.rate) if self.rate is not None else None,
            "amount": fmt(self.amount),
            "rule": self.rule,
            "slot": self.slot,
            "officer": self.officer,
        }
        if self.rate_class is not None:
            out["rate_class"] = self.rate_class
        return out


@attrs.frozen(kw_only=True)
class Bill:
    """The priced result of one request's story."""

    agency: str
    request: Request
    admission: Admission
    lines: tuple[Line, ...]
    transactions: tuple[ledger.Transaction, ...]
    notes: tuple[str, ...]
    payment_method: str | None
    slots: tuple[dict, ...]
    terms: PaymentTerms = PaymentTerms()
    # Totals by (party, attribute), summed once when first asked for (the lines never change).
    _sums: dict = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def _sum(self, party: str, attr: str = "amount") -> Decimal:
        key = (party, attr)
        total = self._sums.get(key)
        if total is None:
            total = self._sums[key] = sum((getattr(l, attr) for l in self.lines if l.party == party), ZERO)
        return total

    @property
    def vendor_total(self) -> Decimal:
        return self._sum("vendor")

    @property
    def officer_pay_total(self) -> Decimal:
        return self._sum("officer")

    @property
    def city_total(self) -> Decimal:
        return self._sum("city")

    @property
    def admin_fee_total(self) -> Decimal:
        return self._sum("vendor", "fee")

    @property
    def card_fee_total(self) -> Decimal:
        return self._sum("vendor", "card")

    @property
    def absorbed_total(self) -> Decimal:
        """What the operator pays officers beyond the share it bills (Chandler's 3-hour pay)."""
        return self.officer_pay_total - self._sum("vendor", "share")

    @property
    def operator_net(self) -> Decimal:
        return self.vendor_total - self.officer_pay_total - self.city_total

    def officer_pay(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            if line.party == "officer":
                out[line.officer or ""] += line.amount
        return dict(out)

    def to_dict(self) -> dict:
        return {
            "request_id": self.request.id,
            "agency": self.agency,
            "vendor": self.request.vendor,
            "vendor_total": fmt(self.vendor_total),
            "officer_pay_total": fmt(self.officer_pay_total),
            "city_total": fmt(self.city_total),
            "operator_net": fmt(self.operator_net),
            "admin_fee_total": fmt(self.admin_fee_total),
            "card_fee_total": fmt(self.card_fee_total),
            "absorbed_officer_pay": fmt(self.absorbed_total),
            "emergency": self.admission.emergency,
            "notes": list(self.notes),
            "slots": list(self.slots),
            "lines": [l.to_dict() for l in self.lines],
            "ledger": [t.to_dict() for t in self.transactions],
            "invoice": self.invoice(),
        }

    def invoice(self) -> dict | None:
        """The vendor invoice under the agency's terms (issued on the last service date)."""
        if not self.transactions:
            return None
        from .terms import invoices

        inv = next((i for i in invoices(self.transactions, self.terms) if i.vendor == self.request.vendor), None)
        if inv is None:
            return None
        return {"issued": inv.issued.isoformat(), "due": inv.due.isoformat(), "net_days": self.terms.net_days,
                "amount": fmt(inv.amount), "payment_method": self.payment_method,
                "late_charge_monthly": f"{(self.terms.late_charge_monthly * 100).normalize():f} %"}


_Segment = tuple[str, int, str | None]  # (rate class, seconds, holiday name)

_SECONDS: dict[Decimal, int] = {}

#: Lines' words and rule names recur across every bill of a year: one copy of each is kept.
_text = sys.intern


def _seconds(hours: Decimal) -> int:
    """:func:`~offduty_core.money.seconds_from_hours` of a rule's hours, kept per value (a
    handful of values -- 0, 2, 3, 4 h -- come up for every charge)."""
    found = _SECONDS.get(hours) if isinstance(hours, Decimal) else None
    if found is None:
        found = seconds_from_hours(hours)
        if isinstance(hours, Decimal) and len(_SECONDS) < 4096:
            _SECONDS[hours] = found
    return found


# Lines are built field by field into their slots: ``Line(...)`` runs attrs' keyword
# handling for a class with no converters, validators or post-init, so setting the slots
# directly makes the same object (billing makes ~70,000 lines in a simulated year).
assert all(f.converter is None and f.validator is None for f in attrs.fields(Line))
assert not hasattr(Line, "__attrs_post_init__") and not hasattr(Line, "__attrs_pre_init__")
_new = object.__new__
(_set_party, _set_description, _set_amount, _set_rule, _set_seconds, _set_rate, _set_slot, _set_officer,
 _set_rate_class, _set_share, _set_fee, _set_city, _set_card) = (
    getattr(Line, name).__set__ for name in ("party", "description", "amount", "rule", "seconds", "rate", "slot",
                                             "officer", "rate_class", "share", "fee", "city", "card"))
assert {f.name for f in attrs.fields(Line)} == {"party", "description", "amount", "rule", "seconds", "rate", "slot",
                                                "officer", "rate_class", "share", "fee", "city", "card"}


def _line(description: str, slot: int | None, officer: str | None, party: str, amount: Decimal, rule: str,
          seconds: int | None, rate: Decimal | None, rate_class: str | None, share: Decimal, fee: Decimal,
          city: Decimal, card: Decimal) -> Line:
    """``Line(...)`` of every field, made without attrs' ``__init__`` (see above)."""
    line = _new(Line)
    _set_party(line, party)
    _set_description(line, description)
    _set_amount(line, amount)
    _set_rule(line, rule)
    _set_seconds(line, seconds)
    _set_rate(line, rate)
    _set_slot(line, slot)
    _set_officer(line, officer)
    _set_rate_class(line, rate_class)
    _set_share(line, share)
    _set_fee(line, fee)
    _set_city(line, city)
    _set_card(line, card)
    return line


#: A line of a priced charge without the slot and officer it is for: (description after
#: "slot N (role): ", party, amount, rule, seconds, rate, rate_class, share, fee, city, card),
#: the fields after the description in :func:`_line`'s order.
_LineSpec = tuple

#: Past this many priced shapes per rules object the memo starts again (a year asks for a
#: few hundred).
_MAX_SHAPES = 20_000
#: Line sets kept per shape (one per slot index, role and officer), at most.
_MAX_LINE_SETS = 1024


class _Priced:
    """How one shape of charge is priced, the same for every slot and officer it is for.

    A charge's lines and ledger amounts depend on its rule, rule id and kind, the slot's role,
    the rate-class segments of its worked and scheduled hours, the role's minimum hours and
    whether the request has a vehicle -- and on the rules (rates, city charges, the agency's
    name).  The slot index and the officer only fill in the descriptions ("slot 2 (officer):
    ..."), the lines' ``slot`` and ``officer`` and two ledger accounts.  So a shape is priced
    once per rules object (kept on ``rules.plan``) and each charge of that shape copies it.
    """

    __slots__ = ("rule", "suffixes", "fields", "descriptions", "vendor", "pay", "worked_s", "amounts", "balanced",
                 "postings", "vendor_leg", "officer_leg", "share", "fee", "city", "lines", "rule_name",
                 "vendor_text", "pay_text")

    def __init__(self, rule: ChargeRule, rule_name: str, specs: list[_LineSpec], vendor: Decimal, pay: Decimal,
                 worked_s: int, amounts: list[tuple[str | None, Decimal]]):
        self.rule = rule  # kept alive: the memo key holds its id()
        self.rule_name = rule_name  # "agency:rule id", as the bill's slot summary names the charge
        self.suffixes = tuple(spec[0] for spec in specs)  # descriptions after "slot N (role): "
        self.fields = tuple(spec[1:] for spec in specs)  # the other fields, in _line's order
        self.descriptions: dict[tuple[int, str], tuple[str, ...]] = {}  # (slot index, role) -> descriptions
        # The lines themselves for a (slot index, role, officer): the same officer works the same
        # shape again and again over a year.  Lines are immutable values, so bills may share them.
        self.lines: dict[tuple[int, str, str], tuple[Line, ...]] = {}
        self.vendor, self.pay, self.worked_s = vendor, pay, worked_s
        # A slot with this one charge reports these sums (fmt(ZERO + x) is fmt(x): the same value).
        self.vendor_text, self.pay_text = fmt(vendor), fmt(pay)
        # The other sums a Bill reports (see _totals): its lines' vendor share and fee, city money.
        totals = _totals([_line("", None, None, *fields) for fields in self.fields])
        assert totals[("vendor", "amount")] == vendor and totals[("officer", "amount")] == pay
        self.share, self.fee, self.city = (totals[("vendor", "share")], totals[("vendor", "fee")],
                                           totals[("city", "amount")])
        # The ledger amounts in posting order, keyed by account (_VENDOR_ACCOUNT and
        # _OFFICER_ACCOUNT stand for the charge's own, see _Pricer.post).  Zero amounts post
        # nothing; the others balance (or not) for every charge of this shape alike, so that
        # is checked once here.
        self.amounts = amounts
        legs = [(account, amount) for account, amount in amounts if amount != 0]
        self.balanced = sum((amount for _, amount in legs), ZERO) == 0
        # The postings to the agency's accounts are the same for every charge (postings are
        # immutable); the vendor's and officer's legs (their positions) are made per charge.
        self.postings = tuple(None if account in (_VENDOR_ACCOUNT, _OFFICER_ACCOUNT) else
                              ledger._cent_posting(account, amount) for account, amount in legs)
        accounts = [account for account, _ in legs]
        self.vendor_leg = accounts.index(_VENDOR_ACCOUNT) if _VENDOR_ACCOUNT in accounts else None
        self.officer_leg = accounts.index(_OFFICER_ACCOUNT) if _OFFICER_ACCOUNT in accounts else None

    def descriptions_for(self, index: int, role: str) -> tuple[str, ...]:
        key = (index, role)
        found = self.descriptions.get(key)
        if found is None:
            who = f"slot {index} ({role})"
            found = self.descriptions[key] = tuple(_text(f"{who}: {suffix}") for suffix in self.suffixes)
        return found


#: Stands for the charge's receivable (vendor) and officer-payable accounts in a shape's amounts.
_VENDOR_ACCOUNT, _OFFICER_ACCOUNT = "<vendor>", "<officer>"


class _Pricer:
    def __init__(self, rules: AgencyRules, admission: Admission):
        self.rules = rules
        self.admission = admission
        self.request = admission.request
        self.tz = rules.info.tz
        self.agency = rules.name
        # The same interval is priced for several slots and charges: split and rate it once.
        self._segments: dict[tuple, tuple[_Segment, ...]] = {}
        self._minimum: dict[str, int] = {}
        self._receivable: str | None = None
        self._days: dict[datetime, object] = {}
        self._shapes: dict[tuple, _Priced] = rules.plan.charge_shapes
        self.worked_any = False
        # Sums of the priced lines' vendor share, vendor fee and city amounts (see _totals).
        self.share = self.fee = self.city = ZERO

    def minimum_seconds(self, role: str) -> int:
        if role not in self._minimum:
            self._minimum[role] = _seconds(self.rules.minimum_hours(self.request, role))
        return self._minimum[role]

    def segments(self, interval: tuple[datetime, datetime] | None, role: str) -> tuple[_Segment, ...]:
        if interval is None:
            return ()
        key = (interval, role)
        found = self._segments.get(key)
        if found is None:
            found = self._segments[key] = tuple(self._split(interval, role))
        return found

    def _split(self, interval: tuple[datetime, datetime], role: str) -> list[_Segment]:
        out = []
        rules, plan = self.rules, self.rules.plan
        cuts = rules.rate_boundaries(self.request, interval[0], interval[1])
        for day, start, seconds in split_pieces(interval[0], interval[1], self.tz, cuts):
            cls = rules.rate_class(self.request, role, day, start, self.admission.emergency)
            if not isinstance(cls, str) or cls not in plan.class_names:
                raise InputError("offduty_rate_class", cls, f"rate classes are "
                                 f"{', '.join(c.name for c in rules.rates.classes)}")
            out.append((cls, seconds, plan.holiday_name(day)))
        return out

    @staticmethod
    def take(segments: Sequence[_Segment], seconds: int) -> list[_Segment]:
        """The first ``seconds`` of ``segments``."""
        out, left = [], seconds
        for cls, secs, hol in segments:
            if left <= 0:
                break
            use = min(secs, left)
            out.append((cls, use, hol))
            left -= use
        return out

    def highest(self, segments: Sequence[_Segment], fallback_role: str) -> str:
        names = {cls for cls, _, _ in segments} or {self.rules.rates.roles[fallback_role]}
        return self.rules.rates.highest(names).name

    @staticmethod
    def by_class(segments: Sequence[_Segment]) -> list[tuple[str, int, list[str]]]:
        order: dict[str, list] = {}
        for cls, secs, hol in segments:
            entry = order.setdefault(cls, [0, []])
            entry[0] += secs
            if hol and hol not in entry[1]:
                entry[1].append(hol)
        return [(cls, secs, hols) for cls, (secs, hols) in order.items() if secs > 0]

    def describe(self, cls: RateClass, holidays: list[str]) -> str:
        return f"{cls.label}" + (f" ({', '.join(holidays)})" if holidays else "")

    def price(self, charge: Charge) -> tuple[Sequence[Line], ledger.Transaction | None, _Priced]:
        """The lines and the ledger transaction of ``charge``, with its priced shape (the
        vendor and officer totals of its lines, ...): the shape is priced once per rules
        object (see :class:`_Priced`) and filled in with the charge's slot and officer."""
        slot, rule = charge.slot, charge.rule
        index, role, officer = slot.index, slot.role, charge.officer
        worked = self.segments(charge.worked, role)
        scheduled = self.segments(charge.scheduled, role)
        key = (id(rule), charge.rule_id, charge.kind, role, worked, scheduled, self.minimum_seconds(role),
               self.request.vehicle)
        shape = self._shapes.get(key)
        if shape is None or shape.rule is not rule:
            if len(self._shapes) >= _MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[key] = self._price_shape(charge, worked, scheduled)
        if shape.worked_s > 0:
            self.worked_any = True
        self.share += shape.share
        self.fee += shape.fee
        self.city += shape.city
        lines = shape.lines.get((index, role, officer))
        if lines is None:
            lines = tuple(_line(description, index, officer, *fields)
                          for description, fields in zip(shape.descriptions_for(index, role), shape.fields))
            if len(shape.lines) < _MAX_LINE_SETS:
                shape.lines[index, role, officer] = lines
        return lines, self.post(charge, shape), shape

    def _price_shape(self, charge: Charge, worked: Sequence[_Segment], scheduled: Sequence[_Segment]) -> _Priced:
        """Price ``charge`` without its slot index and officer (see :class:`_Priced`)."""
        rules, rates = self.rules, self.rules.rates
        role, rule = charge.slot.role, charge.rule
        worked_s = sum(s for _, s, _ in worked)
        minimum_s = self.minimum_seconds(role)
        if rule.share_hours is ShareHours.WORKED:
            share_s = max(worked_s, minimum_s) if worked_s > 0 else 0
        else:
            share_s = max(worked_s, minimum_s)

        # Which rate class each billed second falls in, and why it is billed.
        base_id = charge.rule_id if charge.kind != "work" or charge.rule_id != "work" else None
        alloc: list[tuple[_Segment, str]] = []  # (segment, rule id)
        for seg in worked:
            alloc.append((seg, base_id or f"rate.{seg[0]}"))
        topup = share_s - worked_s
        if topup > 0:
            if worked_s > 0:
                alloc.append(((self.highest(worked, role), topup, None), "minimum-hours"))
            else:
                drawn = self.take(scheduled, topup)
                for seg in drawn:
                    alloc.append((seg, base_id or "minimum-hours"))
                rest = topup - sum(s for _, s, _ in drawn)
                if rest > 0:
                    alloc.append(((self.highest(scheduled, role), rest, None), "minimum-hours"))

        specs: list[_LineSpec] = []

        def add(description: str, party: str, amount: Decimal, rule_name: str, seconds: int | None,
                rate: Decimal | None, rate_class: str | None = None, share: Decimal = ZERO, fee: Decimal = ZERO,
                city: Decimal = ZERO) -> None:
            specs.append((description, party, amount, _text(rule_name), seconds, rate, rate_class, share, fee, city,
                          ZERO))

        # Sums of the lines by party (exact: cents add exactly), kept as the lines are made.
        vendor = fee = city = pay = ZERO
        fee_separate = rule.fee_hours is FeeHours.FIRST_SCHEDULED
        grouped: dict[tuple[str, str], list[_Segment]] = {}
        for seg, rid in alloc:
            grouped.setdefault((rid, seg[0]), []).append(seg)
        share_billed = ZERO
        # Lines of one class are rounded cumulatively, so hours worked plus a minimum top-up
        # cost exactly what the same hours on one line would (4 h x 170.87 = 683.48, not
        # 2.5 h + 1.5 h rounded separately = 683.49).
        done: dict[str, int] = {}
        agency = self.agency

        for (rid, cls_name), segs in grouped.items():
            cls = rates.get(cls_name)
            for _, secs, hols in self.by_class(segs):
                desc = self.describe(cls, hols)
                before = done.get(cls_name, 0)
                share_amt = amount_for(cls.share, before + secs) - amount_for(cls.share, before)
                total = amount_for(cls.total, before + secs) - amount_for(cls.total, before)
                done[cls_name] = before + secs
                share_billed += share_amt
                if fee_separate:
                    add(f"{desc} hours at the officer's share ({charge.kind} charge)", "vendor", share_amt,
                        f"{agency}:{rid}.officer-share", secs, cls.share, cls.name, share=share_amt)
                    vendor += share_amt
                    fee += ZERO
                else:
                    if rid == "minimum-hours":
                        label = f"{desc} minimum top-up ({fmt_hours(minimum_s)} h per slot)"
                    else:
                        label = f"{desc} hours"
                    line_fee = total - share_amt
                    add(label, "vendor", total, f"{agency}:{rid}", secs, cls.total, cls.name, share=share_amt,
                        fee=line_fee)
                    vendor += total
                    fee += line_fee
                add(f"{desc} hours at the officer's share", "officer", share_amt,
                    f"{agency}:{rid}.officer-share" if fee_separate else f"{agency}:{rid}", secs, cls.share,
                    cls.name)
                pay += share_amt
        if fee_separate:
            fee_s = min(_seconds(rule.fee_hours_cap), sum(s for _, s, _ in scheduled))
            for cls_name, secs, hols in self.by_class(self.take(scheduled, fee_s)):
                cls = rates.get(cls_name)
                amt = amount_for(cls.fee, secs)
                add(f"admin fee on the first {fmt_hours(fee_s)} scheduled hours ({self.describe(cls, hols)})",
                    "vendor", amt, f"{agency}:{charge.rule_id}.admin-fee", secs, cls.fee, cls.name, fee=amt)
                vendor += amt
                fee += amt

        # The officer's minimum pay on a cancellation (Chandler's 3 hours), absorbed by the operator.
        officer_min_s = _seconds(rule.officer_min_hours)
        if officer_min_s > share_s:
            extra = officer_min_s - share_s
            cls = rates.get(self.highest(worked or scheduled, role))
            amt = amount_for(cls.share, extra)
            add(f"officer minimum pay of {fmt_hours(officer_min_s)} h "
                f"({fmt_hours(extra)} h beyond what the vendor is billed)", "officer", amt,
                f"{agency}:{charge.rule_id}.officer-minimum-pay", extra, cls.share, cls.name)
            pay += amt

        # City lines: on the hours billed for work, on the hours worked for a charge.
        # Per-slot and per-request lines come with hours worked.
        city_s = share_s if not fee_separate else worked_s
        for charge_line in rules.city_charges:
            if charge_line.per is Per.REQUEST or city_s <= 0 or (charge_line.per is Per.SLOT and worked_s <= 0):
                continue
            if charge_line.applies is Applies.VEHICLE and not self.request.vehicle:
                continue
            for spec in self.city_specs(charge_line, city_s if charge_line.per is Per.HOUR else None):
                specs.append(spec)
                if spec[1] == "vendor":
                    vendor += spec[2]
                    fee += spec[8]
                else:
                    city += spec[2]

        # The ledger amounts, in the order the transaction lists them (a gap between what the
        # officer is paid and the share billed is absorbed, or retained, by the operator).
        plan_accounts = self._agency_accounts()
        gap = pay - share_billed
        amounts: list[tuple[str, Decimal]] = [(_VENDOR_ACCOUNT, ZERO + vendor), (_OFFICER_ACCOUNT, ZERO - pay),
                                              (plan_accounts[0], ZERO - city), (plan_accounts[1], ZERO - fee)]
        if gap > 0:
            amounts.append((ledger.ABSORBED, ZERO + gap))
        elif gap < 0:
            amounts.append((plan_accounts[2], ZERO + gap))
        return _Priced(rule, _text(f"{agency}:{charge.rule_id}"), specs, vendor, pay, worked_s, amounts)

    def _agency_accounts(self) -> tuple[str, str, str]:
        agency = self.agency
        return (ledger.account(ledger.CITY_PAYABLE, agency), ledger.account(ledger.ADMIN_FEE, agency),
                ledger.account(ledger.RETAINED_SHARE, agency))

    def city_specs(self, city: CityCharge, seconds: int | None) -> list[_LineSpec]:
        """The vendor line of a city (or flat fee) charge and, when the city gets a share, its
        city line, as :data:`_LineSpec`\\ s."""
        if seconds is None:
            total, owed = city.total, city.city_share
        else:
            total, owed = amount_for(city.total, seconds), amount_for(city.city_share, seconds)
        rate_total = city.total if seconds is not None else None
        rule = _text(f"{self.agency}:city.{city.name}")
        out = [(city.label, "vendor", total, rule, seconds, rate_total, None, ZERO, total - owed, owed, ZERO)]
        if owed:
            out.append((f"{city.label} owed to the city", "city", owed, rule, seconds,
                        city.city_share if seconds is not None else None, None, ZERO, ZERO, ZERO, ZERO))
        return out

    def city_lines(self, city: CityCharge, who: str, seconds: int | None, slot: int | None,
                   officer: str | None) -> list[Line]:
        """The vendor line of a city (or flat fee) charge and, when the city gets a share, its city line."""
        return [_line(_text(f"{who}: {spec[0]}"), slot, officer, *spec[1:]) for spec in self.city_specs(city, seconds)]

    def post(self, charge: Charge, shape: _Priced) -> ledger.Transaction | None:
        """The charge's ledger transaction from its shape's sums by party."""
        if not shape.postings:
            return None
        receivable = self._receivable
        if receivable is None:
            receivable = self._receivable = ledger.account(ledger.RECEIVABLE, self.request.vendor)
        start = charge.scheduled[0]
        day = self._days.get(start)
        if day is None:
            day = self._days[start] = start.astimezone(self.tz).date()
        index = charge.slot.index
        memo = f"{self.request.id} slot {index}: {charge.kind}" + (f" ({charge.note})" if charge.note else "")
        ref = f"{self.request.id}#{index}"
        officer = ledger.account(ledger.OFFICER_PAYABLE, charge.officer)
        if not shape.balanced:  # the ledger refuses it, naming the memo
            return ledger.cent_transaction(day, memo, {
                receivable if account is _VENDOR_ACCOUNT else officer if account is _OFFICER_ACCOUNT else account:
                    amount for account, amount in shape.amounts}, ref=ref)
        # shape.amounts[0] is the vendor's amount and [1] the officer's (see _price_shape).
        postings = list(shape.postings)
        if shape.vendor_leg is not None:
            postings[shape.vendor_leg] = ledger._cent_posting(receivable, shape.amounts[0][1])
        if shape.officer_leg is not None:
            postings[shape.officer_leg] = ledger._cent_posting(officer, shape.amounts[1][1])
        return ledger._balanced_transaction(day, memo, ref, tuple(postings))


def bill(rules: AgencyRules, request: Request, events: Sequence[Event] = (),
         payment_method: str | None = None) -> Bill:
    """Price ``request`` and its ``events`` under ``rules``.  Pure: same input, same bill."""
    return bill_admitted(rules, admit(rules, request), events, payment_method)


def bill_admitted(rules: AgencyRules, admission: Admission, events: Sequence[Event] = (),
                  payment_method: str | None = None) -> Bill:
    """:func:`bill` for a request already admitted under the same ``rules`` (``admission`` is
    ``admit(rules, request)``, as the job board keeps it from the request's arrival)."""
    request = admission.request
    states = replay(rules, admission, events)
    pricer = _Pricer(rules, admission)
    lines: list[Line] = []
    transactions: list[ledger.Transaction] = []
    slots_out = []
    vendor_total = officer_total = ZERO  # of the charges' lines (exact sums, see _totals)
    for st in states:
        slot_vendor = slot_pay = ZERO
        charges_out = []
        shape = None
        for charge in st.charges:
            charge_lines, tx, shape = pricer.price(charge)
            lines.extend(charge_lines)
            slot_vendor += shape.vendor
            slot_pay += shape.pay
            if tx is not None:
                transactions.append(tx)
            charges_out.append({"kind": charge.kind, "rule": shape.rule_name, "note": charge.note})
        vendor_total += slot_vendor
        officer_total += slot_pay
        one = len(charges_out) == 1  # the slot's sums are its charge's: formatted with the shape
        slots_out.append({
            "slot": st.slot.index,
            "role": st.slot.role,
            "added_by_rule": st.slot.added_by_rule,
            "status": st.status if st.status != "open" else ("worked" if st.charges else "open"),
            "officer": st.officer,
            "charges": charges_out,
            "history": list(st.history),
            "vendor": shape.vendor_text if one else fmt(slot_vendor),
            "officer_pay": shape.pay_text if one else fmt(slot_pay),
        })

    priced = len(lines)
    for city in rules.city_charges:
        if city.per is not Per.REQUEST or not pricer.worked_any:
            continue
        if city.applies is Applies.VEHICLE and not request.vehicle:
            continue
        flat = pricer.city_lines(city, "request", None, None, None)
        lines.extend(flat)
        day = request.start.astimezone(rules.info.tz).date()
        vendor_amt = flat[0].amount
        city_amt = sum((l.amount for l in flat if l.party == "city"), ZERO)
        tx = ledger.transaction(day, f"{request.id}: {city.label}", {
            ledger.account(ledger.RECEIVABLE, request.vendor): vendor_amt,
            ledger.account(ledger.CITY_PAYABLE, rules.name): -city_amt,
            ledger.account(ledger.ADMIN_FEE, rules.name): -(vendor_amt - city_amt),
        }, ref=request.id)
        if tx is not None:
            transactions.append(tx)

    notes = list(admission.notes)
    if payment_method is not None:
        rate = rules.terms.method_fee(payment_method)
        subtotal = vendor_total + sum((l.amount for l in lines[priced:] if l.party == "vendor"), ZERO)
        card = cents(subtotal * rate)
        if card:
            lines.append(_line(_card_fee_description(payment_method, rate), None, None, "vendor", card,
                               _text(f"platform:terms.{payment_method}-fee"), None, None, None, ZERO, ZERO, ZERO,
                               card))
            day = request.start.astimezone(rules.info.tz).date()
            # Whole cents that balance: what ledger.transaction makes of them, without re-checking.
            tx = ledger.cent_transaction(day, f"{request.id}: {payment_method} processing fee", {
                ledger.account(ledger.RECEIVABLE, request.vendor): card,
                ledger.CARD_FEE: -card,
            }, ref=request.id)
            if tx is not None:
                transactions.append(tx)
    result = Bill(agency=rules.name, request=request, admission=admission, lines=tuple(lines),
                  transactions=tuple(transactions), notes=tuple(notes), payment_method=payment_method,
                  slots=tuple(slots_out), terms=rules.terms)
    # The totals: the charges' lines summed as they were priced, plus the request's own lines.
    sums = _totals(lines[priced:])
    sums[("vendor", "amount")] += vendor_total
    sums[("vendor", "share")] += pricer.share
    sums[("vendor", "fee")] += pricer.fee
    sums[("officer", "amount")] += officer_total
    sums[("city", "amount")] += pricer.city
    result._sums.update(sums)
    return result


_CARD_FEE_DESCRIPTIONS: dict[tuple[str, Decimal], str] = {}


def _card_fee_description(method: str, rate: Decimal) -> str:
    """'card processing fee 3 %' (kept per method and rate: the same few for every bill;
    equal rates format alike)."""
    key = (method, rate)
    found = _CARD_FEE_DESCRIPTIONS.get(key)
    if found is None:
        found = f"{method} processing fee {rate * 100:.2f} %".replace(".00 %", " %")
        if len(_CARD_FEE_DESCRIPTIONS) < 256:
            _CARD_FEE_DESCRIPTIONS[key] = found
    return found


def _totals(lines: Sequence[Line]) -> dict[tuple[str, str], Decimal]:
    """Every total a :class:`Bill` reports, in one pass over its lines (the same sums as
    ``Bill._sum``: exact, so the order of adding does not matter)."""
    vendor = share = fee = card = officer = city = ZERO
    for line in lines:
        party = line.party
        if party == "vendor":
            vendor += line.amount
            share += line.share
            fee += line.fee
            card += line.card
        elif party == "officer":
            officer += line.amount
        elif party == "city":
            city += line.amount
    return {("vendor", "amount"): vendor, ("vendor", "share"): share, ("vendor", "fee"): fee,
            ("vendor", "card"): card, ("officer", "amount"): officer, ("city", "amount"): city}
