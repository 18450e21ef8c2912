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


class _Pricer:
    def __init__(self, rules: AgencyRules, admission: Admission):
        self.rules = rules
        self.admission = admission
        self.request = admission.request
        self.tz = rules.info.tz
        self.agency = rules.name
        # The same interval is priced for several slots and charges: split and rate it once.
        self._segments: dict[tuple, list[_Segment]] = {}
        self._minimum: dict[str, int] = {}
        self._accounts: tuple[str, ...] | None = None
        self.worked_any = False

    def rule(self, rule_id: str) -> str:
        return f"{self.agency}:{rule_id}"

    def minimum_seconds(self, role: str) -> int:
        if role not in self._minimum:
            self._minimum[role] = _seconds(self.rules.minimum_hours(self.request, role))
        return self._minimum[role]

    def segments(self, interval: tuple[datetime, datetime] | None, role: str) -> list[_Segment]:
        if interval is None:
            return []
        key = (interval, role)
        if key not in self._segments:
            self._segments[key] = self._split(interval, role)
        return self._segments[key]

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
    def take(segments: list[_Segment], seconds: int) -> list[_Segment]:
        """The first ``seconds`` of ``segments``."""
        out, left = [], seconds
        for cls, secs, hol in segments:
            if left <= 0:
                break
            use = min(secs, left)
            out.append((cls, use, hol))
            left -= use
        return out

    def highest(self, segments: list[_Segment], fallback_role: str) -> str:
        names = {cls for cls, _, _ in segments} or {self.rules.rates.roles[fallback_role]}
        return self.rules.rates.highest(names).name

    @staticmethod
    def by_class(segments: list[_Segment]) -> list[tuple[str, int, list[str]]]:
        order: dict[str, list] = {}
        for cls, secs, hol in segments:
            entry = order.setdefault(cls, [0, []])
            entry[0] += secs
            if hol and hol not in entry[1]:
                entry[1].append(hol)
        return [(cls, secs, hols) for cls, (secs, hols) in order.items() if secs > 0]

    def describe(self, cls: RateClass, holidays: list[str]) -> str:
        return f"{cls.label}" + (f" ({', '.join(holidays)})" if holidays else "")

    def price(self, charge: Charge) -> tuple[list[Line], ledger.Transaction | None, Decimal, Decimal]:
        """The lines and the ledger transaction of ``charge``, with the vendor and officer
        totals of its lines (sums kept as the lines are made)."""
        rules, rates = self.rules, self.rules.rates
        slot, role, rule = charge.slot, charge.slot.role, charge.rule
        index, officer = slot.index, charge.officer
        who = f"slot {index} ({role})"
        worked = self.segments(charge.worked, role)
        scheduled = self.segments(charge.scheduled, role)
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

        lines: list[Line] = []
        append = lines.append
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
                    append(Line(party="vendor", description=_text(f"{who}: {desc} hours at the officer's share "
                                                            f"({charge.kind} charge)"),
                                seconds=secs, rate=cls.share, amount=share_amt, share=share_amt,
                                rule=_text(f"{agency}:{rid}.officer-share"), slot=index,
                                officer=officer, rate_class=cls.name))
                    vendor += share_amt
                    fee += ZERO
                else:
                    if rid == "minimum-hours":
                        label = f"{desc} minimum top-up ({fmt_hours(minimum_s)} h per slot)"
                    else:
                        label = f"{desc} hours"
                    line_fee = total - share_amt
                    append(Line(party="vendor", description=_text(f"{who}: {label}"), seconds=secs, rate=cls.total,
                                amount=total, share=share_amt, fee=line_fee, rule=_text(f"{agency}:{rid}"),
                                slot=index, officer=officer, rate_class=cls.name))
                    vendor += total
                    fee += line_fee
                append(Line(party="officer", description=_text(f"{who}: {desc} hours at the officer's share"),
                            seconds=secs, rate=cls.share, amount=share_amt,
                            rule=_text(f"{agency}:{rid}.officer-share" if fee_separate else f"{agency}:{rid}"),
                            slot=index, officer=officer, rate_class=cls.name))
                pay += share_amt
        if fee_separate:
            fee_s = min(_seconds(rule.fee_hours_cap), sum(s for _, s, _ in scheduled))
            for cls_name, secs, hols in self.by_class(self.take(scheduled, fee_s)):
                cls = rates.get(cls_name)
                amt = amount_for(cls.fee, secs)
                append(Line(party="vendor",
                            description=_text(f"{who}: admin fee on the first {fmt_hours(fee_s)} scheduled hours "
                                        f"({self.describe(cls, hols)})"),
                            seconds=secs, rate=cls.fee, amount=amt, fee=amt,
                            rule=_text(f"{agency}:{charge.rule_id}.admin-fee"), slot=index,
                            officer=officer, rate_class=cls.name))
                vendor += amt
                fee += amt

        # The officer's minimum pay on a cancellation (Chandler's 3 hours), absorbed by the operator.
        officer_min_s = _seconds(rule.officer_min_hours)
        if officer_min_s > share_s:
            extra = officer_min_s - share_s
            cls = rates.get(self.highest(worked or scheduled, role))
            amt = amount_for(cls.share, extra)
            append(Line(party="officer",
                        description=_text(f"{who}: officer minimum pay of {fmt_hours(officer_min_s)} h "
                                    f"({fmt_hours(extra)} h beyond what the vendor is billed)"),
                        seconds=extra, rate=cls.share, amount=amt,
                        rule=_text(f"{agency}:{charge.rule_id}.officer-minimum-pay"), slot=index,
                        officer=officer, rate_class=cls.name))
            pay += amt

        # City lines: on the hours billed for work, on the hours worked for a charge.
        # Per-slot and per-request lines come with hours worked.
        city_s = share_s if not fee_separate else worked_s
        if worked_s > 0:
            self.worked_any = True
        for charge_line in rules.city_charges:
            if charge_line.per is Per.REQUEST or city_s <= 0 or (charge_line.per is Per.SLOT and worked_s <= 0):
                continue
            if charge_line.applies is Applies.VEHICLE and not self.request.vehicle:
                continue
            for line in self.city_lines(charge_line, who, city_s if charge_line.per is Per.HOUR else None, index,
                                        officer):
                append(line)
                if line.party == "vendor":
                    vendor += line.amount
                    fee += line.fee
                else:
                    city += line.amount
        return lines, self.post(charge, vendor, fee, city, pay, share_billed), vendor, pay

    def city_lines(self, city: CityCharge, who: str, seconds: int | None, slot: int | None,
                   officer: str | None) -> list[Line]:
        """The vendor line of a city (or flat fee) charge and, when the city gets a share, its city line."""
        if seconds is None:
            total, owed = city.total, city.city_share
        else:
            total, owed = amount_for(city.total, seconds), amount_for(city.city_share, seconds)
        rate_total = city.total if seconds is not None else None
        rule = f"{self.agency}:city.{city.name}"
        out = [Line(party="vendor", description=_text(f"{who}: {city.label}"), seconds=seconds, rate=rate_total,
                    amount=total, city=owed, fee=total - owed, rule=_text(rule), slot=slot, officer=officer)]
        if owed:
            out.append(Line(party="city", description=_text(f"{who}: {city.label} owed to the city"), seconds=seconds,
                            rate=city.city_share if seconds is not None else None, amount=owed,
                            rule=_text(rule), slot=slot, officer=officer))
        return out

    def post(self, charge: Charge, vendor: Decimal, fee: Decimal, city: Decimal, pay: Decimal,
             share_billed: Decimal) -> ledger.Transaction | None:
        """The charge's ledger transaction from its lines' sums by party."""
        gap = pay - share_billed
        accounts = self._accounts
        if accounts is None:
            accounts = self._accounts = (ledger.account(ledger.RECEIVABLE, self.request.vendor),
                                         ledger.account(ledger.CITY_PAYABLE, self.agency),
                                         ledger.account(ledger.ADMIN_FEE, self.agency),
                                         ledger.account(ledger.RETAINED_SHARE, self.agency))
        amounts: dict[str, Decimal] = {accounts[0]: ZERO + vendor}
        officer = ledger.account(ledger.OFFICER_PAYABLE, charge.officer)
        amounts[officer] = amounts.get(officer, ZERO) - pay
        amounts[accounts[1]] = amounts.get(accounts[1], ZERO) - city
        amounts[accounts[2]] = amounts.get(accounts[2], ZERO) - fee
        if gap > 0:
            amounts[ledger.ABSORBED] = amounts.get(ledger.ABSORBED, ZERO) + gap
        elif gap < 0:
            amounts[accounts[3]] = amounts.get(accounts[3], ZERO) + gap
        day = charge.scheduled[0].astimezone(self.tz).date()
        memo = f"{self.request.id} slot {charge.slot.index}: {charge.kind}" + (f" ({charge.note})" if charge.note else "")
        return ledger.cent_transaction(day, memo, amounts, ref=f"{self.request.id}#{charge.slot.index}")


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
    for st in states:
        slot_vendor = slot_pay = ZERO
        for charge in st.charges:
            charge_lines, tx, charge_vendor, charge_pay = pricer.price(charge)
            lines.extend(charge_lines)
            slot_vendor += charge_vendor
            slot_pay += charge_pay
            if tx is not None:
                transactions.append(tx)
        slots_out.append({
            "slot": st.slot.index,
            "role": st.slot.role,
            "added_by_rule": st.slot.added_by_rule,
            "status": st.status if st.status != "open" else ("worked" if st.charges else "open"),
            "officer": st.officer,
            "charges": [{"kind": c.kind, "rule": f"{rules.name}:{c.rule_id}", "note": c.note} for c in st.charges],
            "history": list(st.history),
            "vendor": fmt(slot_vendor),
            "officer_pay": fmt(slot_pay),
        })

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
        subtotal = sum((l.amount for l in lines if l.party == "vendor"), ZERO)
        card = cents(subtotal * rate)
        if card:
            lines.append(Line(party="vendor", description=f"{payment_method} processing fee {rate * 100:.2f} %".replace(".00 %", " %"),
                              amount=card, card=card, rate=None, rule=f"platform:terms.{payment_method}-fee"))
            day = request.start.astimezone(rules.info.tz).date()
            tx = ledger.transaction(day, f"{request.id}: {payment_method} processing fee", {
                ledger.account(ledger.RECEIVABLE, request.vendor): card,
                ledger.CARD_FEE: -card,
            }, ref=request.id)
            if tx is not None:
                transactions.append(tx)
    result = Bill(agency=rules.name, request=request, admission=admission, lines=tuple(lines),
                  transactions=tuple(transactions), notes=tuple(notes), payment_method=payment_method,
                  slots=tuple(slots_out), terms=rules.terms)
    result._sums.update(_totals(result.lines))
    return result


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
