"""Billing: a pure function of (agency rules, request, events).

:func:`admit` validates a request against the agency's compiled rules and lays out its
slots; :func:`replay` applies the job's events slot by slot into *charges* (work done, a
cancellation, a reduction); :mod:`offduty_core.pricing` prices each charge in integer cents
under its :class:`~offduty_core.spec.ChargeRule`.  The result is a :class:`Bill`: invoice
lines to the vendor, pay lines to officers, lines owed to the city, every one naming the rule
that produced it, and one balanced ledger transaction per charge.  The simulator, the job
board, ``offduty bill`` and the regression harness all bill through :func:`bill_admitted`.

Conventions (README "Billing conventions"):

* Hours are real elapsed seconds, cut at local midnight and at the spec's rate splits; each
  piece bills at the classes the agency's ``offduty_rate_class`` hook picks, else the core's
  (the highest of role, holiday and notice tier, with add-on classes on top).
* A minimum is billed on one line with the hours worked in its class, at the highest class
  worked; a charge with nothing worked (a cancellation) draws its hours from the start of the
  scheduled shift, so a cancelled holiday shift is charged at the holiday rate.
* Each line's amount is its rate times its hours, rounded half up to the cent once; the
  officer's share inside a total-rate line is computed the same way, so an officer's pay
  line always equals the share billed for it.
* Extras (vehicle, workers' comp) apply to the hours billed for work, and to the hours
  actually worked for a cancellation or reduction charge.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Sequence

import attrs

from . import ledger
from .days import epoch
from .errors import InputError, Refusal
from .model import (ROLES, Assign, Cancel, ChangeStart, Clock, Drop, Event, NoShow, Release, Request, Slot,
                    Unfilled)
from .money import cents
from .pricing import Line, Pricer, cent_transaction, dec, fmt_cents
from .rules import AgencyRules
from .spec import Applies, ChangeHandling, ChargeRule, PaymentTerms, Per
from .timeutil import fmt_local

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
    notice_class: str | None = None  # the rate class of the notice tier the request falls under


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
        if request.positions[role] and role not in rules.role_class:
            offered = ", ".join(r for r in ROLES if r in rules.role_class)
            raise Refusal(name, "roles", f"the agency has no rate for {role} positions; roles offered: {offered}")
    if request.end - request.start > MAX_REQUEST_SPAN:
        raise InputError("request.end", request.end.isoformat(timespec="minutes"),
                         "a request may span at most 31 days; split longer events into several requests")
    if request.received_at > request.start:
        raise Refusal(name, "notice.after-start",
                      f"the request was received at {fmt_local(request.received_at, rules.tz)}, not before its "
                      f"start at {fmt_local(request.start, rules.tz)}; a request must arrive before the work starts")
    if rules.prohibited_days:
        day, last = rules.days.local_date(epoch(request.start)), rules.days.local_date(epoch(request.end) - 1)
        while day <= last:
            reason = rules.prohibited_day(day)
            if reason is not None:
                raise Refusal(name, f"prohibited-date.{day.isoformat()}",
                              f"no off-duty work on {day.isoformat()}: {reason}")
            day += timedelta(days=1)
    if request.approved_at is not None and request.approved_at < request.received_at:
        raise InputError("request.approved_at", request.approved_at.isoformat(timespec="minutes"),
                         "must not be before received_at")

    notice = request.start - request.received_at
    rule = rules.notice
    if rule.refuse_below is not None and notice < rule.refuse_below:
        raise Refusal(name, "notice", f"requests need {fmt_duration(rule.refuse_below)} notice; "
                                      f"this one gave {fmt_duration(notice)}")
    notice_class = None
    notes: list[str] = []
    for tier in rule.all_tiers():
        if notice < tier.below:
            notice_class = tier.rate_class
            cls = rules.classes[notice_class]
            how = "on top of the base rate" if cls.add_on else "where it is the highest"
            notes.append(f"received {fmt_duration(notice)} before the start, under the "
                         f"{fmt_duration(tier.below)} notice: billed at the {cls.label} rate ({notice_class}) {how}")
            break
    emergency = notice_class is not None

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
    return Admission(request=request, slots=tuple(slots), notice=notice, emergency=emergency, notes=tuple(notes),
                     notice_class=notice_class)


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
    tz = rules.tz
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


# --- the bill ------------------------------------------------------------------------------

_TOTALS = ("vendor", "share", "fee", "card", "officer", "city")


@attrs.frozen(kw_only=True)
class Bill:
    """The priced result of one request's story.  ``cents`` holds its totals in integer
    cents (``vendor``, ``share`` and ``fee`` of the vendor lines, ``card``, ``officer``,
    ``city``); the properties give them as ``Decimal``."""

    agency: str
    request: Request
    admission: Admission
    lines: tuple[Line, ...]
    transactions: tuple[ledger.Transaction, ...]
    notes: tuple[str, ...]
    payment_method: str | None
    slots: tuple[dict, ...]
    terms: PaymentTerms = PaymentTerms()
    cents: dict = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def vendor_total(self) -> Decimal:
        return dec(self.cents["vendor"])

    @property
    def officer_pay_total(self) -> Decimal:
        return dec(self.cents["officer"])

    @property
    def city_total(self) -> Decimal:
        return dec(self.cents["city"])

    @property
    def admin_fee_total(self) -> Decimal:
        return dec(self.cents["fee"])

    @property
    def card_fee_total(self) -> Decimal:
        return dec(self.cents["card"])

    @property
    def absorbed_total(self) -> Decimal:
        """What the operator pays officers beyond the share it bills (Chandler's 3-hour pay)."""
        return dec(self.cents["officer"] - self.cents["share"])

    @property
    def operator_net(self) -> Decimal:
        return dec(self.cents["vendor"] - self.cents["officer"] - self.cents["city"])

    def officer_pay(self) -> dict[str, Decimal]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            if line.party == "officer":
                out[line.officer or ""] += line.cents
        return {officer: dec(amount) for officer, amount in out.items()}

    def to_dict(self) -> dict:
        c = self.cents
        return {
            "request_id": self.request.id,
            "agency": self.agency,
            "vendor": self.request.vendor,
            "vendor_total": fmt_cents(c["vendor"]),
            "officer_pay_total": fmt_cents(c["officer"]),
            "city_total": fmt_cents(c["city"]),
            "operator_net": fmt_cents(c["vendor"] - c["officer"] - c["city"]),
            "admin_fee_total": fmt_cents(c["fee"]),
            "card_fee_total": fmt_cents(c["card"]),
            "absorbed_officer_pay": fmt_cents(c["officer"] - c["share"]),
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
                "amount": str(inv.amount), "payment_method": self.payment_method,
                "late_charge_monthly": f"{(self.terms.late_charge_monthly * 100).normalize():f} %"}


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
    pricer = Pricer(rules, request, admission.notice_class)
    lines: list[Line] = []
    transactions: list[ledger.Transaction] = []
    slots_out = []
    totals = dict.fromkeys(_TOTALS, 0)
    for st in states:
        slot_vendor = slot_pay = 0
        charges_out = []
        index, role = st.slot.index, st.slot.role
        for charge in st.charges:
            worked = None if charge.worked is None else (epoch(charge.worked[0]), epoch(charge.worked[1]))
            scheduled = (epoch(charge.scheduled[0]), epoch(charge.scheduled[1]))
            memo = f"{request.id} slot {index}: {charge.kind}" + (f" ({charge.note})" if charge.note else "")
            priced = pricer.price(index, role, charge.officer, charge.kind, charge.rule, charge.rule_id, scheduled,
                                  worked, memo)
            lines.extend(priced.lines)
            if priced.transaction is not None:
                transactions.append(priced.transaction)
            slot_vendor += priced.vendor
            slot_pay += priced.pay
            totals["share"] += priced.share
            totals["fee"] += priced.fee
            totals["city"] += priced.city
            charges_out.append({"kind": charge.kind, "rule": f"{rules.name}:{charge.rule_id}", "note": charge.note})
        totals["vendor"] += slot_vendor
        totals["officer"] += slot_pay
        slots_out.append({
            "slot": index,
            "role": role,
            "added_by_rule": st.slot.added_by_rule,
            "status": st.status if st.status != "open" else ("worked" if st.charges else "open"),
            "officer": st.officer,
            "charges": charges_out,
            "history": list(st.history),
            "vendor": fmt_cents(slot_vendor),
            "officer_pay": fmt_cents(slot_pay),
        })

    day = None
    for item in rules.extras:
        if item.per is not Per.REQUEST or not pricer.worked_any:
            continue
        if item.applies is Applies.VEHICLE and not request.vehicle:
            continue
        flat = pricer.extra_lines(item, "request: ")
        lines.extend(flat)
        vendor_amt = flat[0].cents
        city_amt = sum(l.cents for l in flat if l.party == "city")
        totals["vendor"] += vendor_amt
        totals["fee"] += vendor_amt - city_amt
        totals["city"] += city_amt
        day = day or rules.days.local_date(epoch(request.start))
        tx = cent_transaction(day, f"{request.id}: {item.label}", request.id, [
            (ledger.account(ledger.RECEIVABLE, request.vendor), vendor_amt),
            (ledger.account(ledger.CITY_PAYABLE, rules.name), -city_amt),
            (ledger.account(ledger.ADMIN_FEE, rules.name), city_amt - vendor_amt)])
        if tx is not None:
            transactions.append(tx)

    if payment_method is not None:
        rate = rules.terms.method_fee(payment_method)
        card = int(cents(dec(totals["vendor"]) * rate) * 100)
        if card:
            lines.append(Line("vendor", _card_fee_description(payment_method, rate), card,
                              f"platform:terms.{payment_method}-fee", card_cents=card))
            totals["vendor"] += card
            totals["card"] += card
            day = day or rules.days.local_date(epoch(request.start))
            tx = cent_transaction(day, f"{request.id}: {payment_method} processing fee", request.id, [
                (ledger.account(ledger.RECEIVABLE, request.vendor), card), (ledger.CARD_FEE, -card)])
            transactions.append(tx)
    return Bill(agency=rules.name, request=request, admission=admission, lines=tuple(lines),
                transactions=tuple(transactions), notes=admission.notes, payment_method=payment_method,
                slots=tuple(slots_out), terms=rules.terms, cents=totals)


def _card_fee_description(method: str, rate: Decimal) -> str:
    """'card processing fee 3 %'."""
    return f"{method} processing fee {rate * 100:.2f} %".replace(".00 %", " %")
